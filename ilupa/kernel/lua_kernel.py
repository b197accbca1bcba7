"""The ilupa kernel: IPython's kernel with Lua as the cell language.

A thin layer over the magics: a cell without an IPython escape is run as a
`%%lua` cell (so values, errors and output behave exactly as there), and the
protocol's completion, inspection and is_complete requests are answered by
the live Lua state for Lua cells and by IPython for the others.
"""

from __future__ import annotations

from typing import Any

from ipykernel.ipkernel import IPythonKernel
from IPython.core.inputtransformer2 import TransformerManager

import ilupa
from ilupa.debugger.protocol import LuaDebugger, cell_path
from ilupa.editor.completion import complete_lua
from ilupa.kernel.kernel_info import help_links, lua_features
from ilupa.kernel.lua_cells import (
    LUA_CELL_MAGICS,
    PYTHON_CELL_MAGICS,
    as_lua_cell,
    lua_body,
    split_cell_magic,
)
from ilupa.kernel.lua_help import LuaHelpMagics, inspect_reply
from ilupa.kernel.python_cells import PythonCellMagics
from ilupa.kernel.requests import ASKING_DEFAULTS, execute_problem, refusal, with_defaults
from ilupa.magics import LuaMagics
from ilupa.session import LuaSession
from ilupa.source.syntax import check_complete


class LuaKernel(IPythonKernel):
    """Lua-first cells; `%%py` for Python in the same process; every IPython magic."""

    implementation = "ilupa"
    implementation_version = ilupa.__version__
    banner = "ilupa: Lua cells sharing one process with Python (%%py for Python cells)"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        shell = self.shell
        shell.extension_manager.load_extension("ilupa")
        shell.register_magics(PythonCellMagics)
        shell.register_magics(LuaHelpMagics)
        shell.input_transformers_cleanup.insert(0, as_lua_cell)
        # JupyterLab's debugger, for Lua cells (ipykernel's debugs Python with debugpy)
        self.lua_debugger = LuaDebugger(lambda: self.lua_session, self._publish_debug_event)

    @property
    def magics(self) -> LuaMagics:
        """The shell's LuaMagics, whose Lua state every Lua cell runs in."""
        return self.shell.magics_manager.registry["LuaMagics"]

    @property
    def lua_session(self) -> LuaSession:
        """The shared Lua state."""
        return self.magics.session

    @property
    def language_info(self) -> dict[str, Any]:  # type: ignore[override]
        """Lua, with the live runtime's version, so frontends highlight Lua."""
        implementation = self.lua_session.implementation
        return {
            "name": "lua",
            "version": implementation.split()[-1],
            "mimetype": "text/x-lua",
            "file_extension": ".lua",
            "codemirror_mode": "lua",
            "pygments_lexer": "lua",
            "nbconvert_exporter": "script",
        }

    @property
    def kernel_info(self) -> dict[str, Any]:  # type: ignore[override]
        """IPython's kernel_info with help for the live Lua runtime and the Lua debugger."""
        info = dict(super().kernel_info)
        info["help_links"] = help_links(self.lua_session.implementation)
        info["supported_features"] = lua_features(info.get("supported_features", []))
        return info

    async def execute_request(self, stream: Any, ident: Any, parent: dict[str, Any]) -> None:
        """Run a cell; a request without code gets an error reply (ilupa/kernel/requests.py)."""
        problem = execute_problem(parent.get("content"))
        if problem is None:
            await super().execute_request(stream, ident, parent)
            return
        reply = refusal(problem, self.execution_count)
        self.session.send(stream, "execute_reply", reply, parent, ident=ident)

    async def inspect_request(self, stream: Any, ident: Any, parent: dict[str, Any]) -> None:
        await self._asking(super().inspect_request, stream, ident, parent)

    async def complete_request(self, stream: Any, ident: Any, parent: dict[str, Any]) -> None:
        await self._asking(super().complete_request, stream, ident, parent)

    async def is_complete_request(self, stream: Any, ident: Any, parent: dict[str, Any]) -> None:
        await self._asking(super().is_complete_request, stream, ident, parent)

    async def history_request(self, stream: Any, ident: Any, parent: dict[str, Any]) -> None:
        await self._asking(super().history_request, stream, ident, parent)

    async def _asking(self, handler: Any, stream: Any, ident: Any, parent: dict[str, Any]) -> None:
        """Answer a request that only asks, with the protocol's defaults for missing fields."""
        msg_type = parent["header"]["msg_type"]
        assert msg_type in ASKING_DEFAULTS
        parent["content"] = with_defaults(msg_type, parent.get("content"))
        await handler(stream, ident, parent)

    async def do_debug_request(self, msg: dict[str, Any]) -> dict[str, Any]:
        """The Jupyter debug protocol, answered for Lua cells (ilupa/debugger)."""
        return await self.lua_debugger.handle(msg)

    async def do_execute(self, code: str, silent: bool, *args: Any, **kwargs: Any) -> Any:
        """Run a cell; its Lua chunks get the file name JupyterLab's debugger gives the cell."""
        debugger = self.lua_debugger
        debugger.next_cell_path = cell_path(code)
        session = self.lua_session
        session.before_chunk = debugger.before_chunk
        try:
            return await super().do_execute(code, silent, *args, **kwargs)
        finally:
            debugger.next_cell_path = None
            debugger.cell_ended()

    def do_complete(self, code: str | None, cursor_pos: int | None) -> dict[str, Any]:
        """Lua completion in Lua and `%%lua` cells; IPython's elsewhere."""
        code, cursor = _request_text(code, cursor_pos)
        body = lua_body(code)
        if body is None or cursor < body[1]:
            return super().do_complete(code, cursor_pos)
        text, offset = body
        found = complete_lua(self.lua_session, text, cursor - offset)
        return {
            "matches": found.matches,
            "cursor_start": found.cursor_start + offset,
            "cursor_end": found.cursor_end + offset,
            "metadata": {},
            "status": "ok",
        }

    def do_inspect(
        self,
        code: str | None,
        cursor_pos: int | None,
        detail_level: int = 0,
        omit_sections: tuple[str, ...] = (),
    ) -> dict[str, Any]:
        """Lua help (standard function, Lua function, Python object) in Lua cells."""
        code, cursor = _request_text(code, cursor_pos)
        body = lua_body(code)
        if body is None or cursor < body[1]:
            return super().do_inspect(code, cursor, detail_level, omit_sections)
        text, offset = body
        return inspect_reply(self.lua_session, text, cursor - offset)

    def do_is_complete(self, code: str | None) -> dict[str, Any]:
        """Lua's parser decides for Lua cells; IPython for the others."""
        code, _ = _request_text(code, None)
        magic, body = split_cell_magic(code)
        if magic in PYTHON_CELL_MAGICS:
            # The shell's own manager would read the body as a Lua cell.
            status, spaces = TransformerManager().check_complete(body)
            reply: dict[str, Any] = {"status": status}
            if status == "incomplete":
                reply["indent"] = " " * (spaces or 0)
            return reply
        if magic not in LUA_CELL_MAGICS:
            return super().do_is_complete(code)
        status, indent = check_complete(self.lua_session, body)
        reply = {"status": status}
        if status == "incomplete":
            reply["indent"] = indent
        return reply


def _request_text(code: Any, cursor_pos: Any) -> tuple[str, int]:
    """A request's code and cursor as the handlers need them.

    A frontend may send `code: null` or no cursor (the python3 kernel answers
    such requests); a handler that raised on them sent no reply at all, and the
    frontend waited. Missing code is the empty cell, a missing or out-of-range
    cursor its end.
    """
    text = code if isinstance(code, str) else ""
    cursor = cursor_pos if isinstance(cursor_pos, int) else len(text)
    return text, max(0, min(cursor, len(text)))
