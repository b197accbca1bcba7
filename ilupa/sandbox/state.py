"""A separate Lua state for code that is not trusted.

lupa is told to give Lua no way into Python (no `python.eval`, no builtins,
and an attribute filter that refuses every attribute), and the only Python
object inside the state is the function that writes `print` output. Cells run
in an environment built by sandbox.lua (no `os`, `io`, `debug`, `package`,
bytecode, or string metatable), under a memory budget (lupa's
`max_memory`) and an instruction budget (a count hook; LuaJIT's JIT is off
so that the hook is always called). On LuaJIT, recursion through C (nested
coroutines, gsub callbacks, __tostring) is limited as in the main state.
"""

from __future__ import annotations

import sys
from importlib import resources
from typing import Any, NoReturn

from ilupa.errors import LuaRuntimeError, LuaSyntaxError, lua_error_from
from ilupa.runtimes import load_runtime_module
from ilupa.sandbox.errors import SandboxInstructionLimit, SandboxMemoryLimit, SandboxUnavailable
from ilupa.sandbox.plain_data import to_lua, values_from_lua

MEMORY_ERROR_MESSAGE = "not enough memory"


def _refuse_attribute(obj: object, name: str, is_setting: bool) -> NoReturn:
    raise AttributeError("the Lua sandbox has no access to Python attributes")


def _write_stdout(text: bytes) -> None:
    sys.stdout.write(text.decode("utf-8", "replace"))


class SandboxState:
    """One sandboxed Lua state: run cells, copy plain data in and out."""

    def __init__(self, runtime: str, memory_limit: int, instruction_limit: int) -> None:
        self.runtime_name = runtime
        self.memory_limit = memory_limit
        self.instruction_limit = instruction_limit
        self.module = load_runtime_module(runtime)
        try:
            self.lua = self.module.LuaRuntime(
                encoding=None,
                register_eval=False,
                register_builtins=False,
                attribute_filter=_refuse_attribute,
                max_memory=memory_limit,
            )
        except self.module.LuaError as error:
            raise SandboxUnavailable(
                f"the Lua sandbox needs a memory budget, which lupa cannot set on {runtime} "
                f"({error}); set LuaMagics.sandbox_runtime to another runtime"
            ) from None
        self.lua.globals().python = None
        # Before sandbox.lua copies the standard library: the copies get the limits.
        self.lua.execute(resources.files("ilupa.lua").joinpath("c_stack_guard.lua").read_bytes())
        source = resources.files("ilupa.sandbox").joinpath("sandbox.lua").read_bytes()
        self._runner = self.lua.execute(source, _write_stdout, instruction_limit)
        self.sources: dict[str, str] = {}

    def run(self, code: str, chunk_name: str, source: str | None = None) -> tuple[Any, ...]:
        """Run `code` as chunk `chunk_name` in the sandbox; return its values as plain data."""
        __tracebackhide__ = True
        self.sources[chunk_name] = code if source is None else source
        try:
            status, outcome = self._runner.run(code.encode("utf-8"), b"=" + chunk_name.encode())
        except self.module.LuaMemoryError:
            raise self._memory_error() from None
        status = status.decode()
        if status == "ok":
            return values_from_lua(outcome, self.module.lua_type)
        message = outcome.decode("utf-8", "replace")
        if status == "syntax":
            raise lua_error_from(LuaSyntaxError, message, self.sources)
        if status == "instructions":
            raise SandboxInstructionLimit(
                f"the cell ran more than {self.instruction_limit:,} Lua instructions, the "
                "sandbox's budget (LuaMagics.sandbox_instruction_limit); it was stopped"
            )
        if MEMORY_ERROR_MESSAGE in message:
            raise self._memory_error()
        traceback = self._runner.traceback()
        traceback = traceback.decode("utf-8", "replace") if traceback else None
        raise lua_error_from(LuaRuntimeError, message, self.sources, traceback)

    def _memory_error(self) -> SandboxMemoryLimit:
        self.lua.execute(b"collectgarbage()")
        return SandboxMemoryLimit(
            f"the cell needed more than {self.memory_limit:,} bytes of Lua memory, the "
            "sandbox's budget (LuaMagics.sandbox_memory_limit); "
            "`%lua_reset --sandbox` starts a fresh sandbox"
        )

    def compiles(self, code: str) -> bool:
        """True when `code` is a valid Lua chunk; nothing is run."""
        try:
            self.lua.compile(code.encode("utf-8"))
        except self.module.LuaSyntaxError:
            return False
        return True

    def set_global(self, name: str, value: Any) -> None:
        """Copy plain Python data into the sandbox as the global `name`."""
        copy = to_lua(self.lua, value, f"Python variable {name!r}")
        self._runner.set_global(name.encode("utf-8"), copy)

    def get_global(self, name: str) -> Any:
        """A plain Python copy of the sandbox's global `name` (None when undefined)."""
        packed = self._runner.global_value(name.encode("utf-8"))
        return values_from_lua(packed, self.module.lua_type)[0]

    @property
    def memory_used(self) -> int:
        """Bytes the sandbox's Lua state uses now."""
        return self.lua.get_memory_used() or 0
