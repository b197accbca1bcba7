"""Lua help where Jupyter asks for help: `name?` in the ilupa kernel, Shift-Tab in `%%lua` cells.

The ilupa kernel turns `name?` (and `?name`, `name??`) on a Lua name into
`%lua_help name`, which pages ilupa's Lua inspection the way IPython pages
`?`, and falls back to IPython's own help for names Lua does not know. In a
Python kernel, Shift-Tab inside a `%%lua` cell asks the Lua state rather
than Python.
"""

from __future__ import annotations

import inspect
from typing import Any

from IPython.core import page
from IPython.core.magic import Magics, line_magic, magics_class

from ilupa.editor.inspection import inspect_lua
from ilupa.kernel.lua_cells import lua_magic_body
from ilupa.session import LuaSession


def inspect_reply(session: LuaSession, code: str, cursor_pos: int) -> dict[str, Any]:
    """An inspect_reply for the Lua name at `cursor_pos` in the Lua source `code`."""
    found = inspect_lua(session, code, cursor_pos)
    data = {"text/plain": found} if found else {}
    return {"status": "ok", "found": bool(found), "data": data, "metadata": {}}


@magics_class
class LuaHelpMagics(Magics):
    """`%lua_help NAME`: what Shift-Tab shows for a Lua name, in the pager."""

    @line_magic
    def lua_help(self, line: str) -> None:
        """Show help for a Lua name (standard function, Lua function, Python object)."""
        name = line.strip()
        session = self.shell.magics_manager.registry["LuaMagics"].session
        found = inspect_lua(session, name)
        if found is None:
            self.shell.run_line_magic("pinfo", name)
            return
        page.page(found)


def use_lua_inspection_in_lua_cells(shell: Any) -> None:
    """In a Python kernel, answer inspect_request inside `%%lua` cells from the Lua state."""
    kernel = getattr(shell, "kernel", None)
    if kernel is None or getattr(kernel, "implementation", "") == "ilupa":
        return
    python_inspect = kernel.do_inspect
    if getattr(python_inspect, "lua_aware", False):
        return

    async def do_inspect(
        code: str, cursor_pos: int, detail_level: int = 0, omit_sections: Any = ()
    ) -> dict[str, Any]:
        body = lua_magic_body(code)
        if body is not None and cursor_pos >= body[1]:
            session = shell.magics_manager.registry["LuaMagics"].session
            return inspect_reply(session, body[0], cursor_pos - body[1])
        reply = python_inspect(code, cursor_pos, detail_level, omit_sections)
        return await reply if inspect.isawaitable(reply) else reply

    do_inspect.lua_aware = True  # type: ignore[attr-defined]
    kernel.do_inspect = do_inspect
