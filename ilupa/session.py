"""One Lua state and everything ilupa sets up in it.

A `LuaSession` owns a lupa `LuaRuntime` on a chosen runtime, routes Lua output
to Python's streams, gives Lua the `py` view of the Python namespace, and runs
cells so that failures become `ilupa.LuaError`s that name the cell and line.
It knows nothing of IPython: the magics and the kernel both drive it.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from functools import partial
from importlib import resources
from types import ModuleType
from typing import Any

from ilupa.display.lua_display import install_display
from ilupa.errors import (
    LuaMemoryError,
    LuaRuntimeError,
    LuaSyntaxError,
    clean_traceback,
    lua_error_from,
    without_binding_frames,
)
from ilupa.interrupt import InterruptGuard
from ilupa.loop_checks import with_loop_checks
from ilupa.memory.guard import DEFAULT_WARNING_SHARE, MemoryGuard
from ilupa.proxy import ProxyLayer, install_proxy_layer
from ilupa.proxy.lifetimes import PythonReferences
from ilupa.runtimes import load_runtime_module
from ilupa.stdin import read_line


def _lua_source(name: str) -> str:
    return resources.files("ilupa.lua").joinpath(f"{name}.lua").read_text(encoding="utf-8")


class LuaSession:
    """A live Lua state bound to a Python namespace."""

    def __init__(
        self,
        runtime: str,
        namespace: MutableMapping[str, Any] | None = None,
        memory_limit: int | None = None,
        memory_warning: float = DEFAULT_WARNING_SHARE,
    ) -> None:
        self.runtime_name = runtime
        self.module: ModuleType = load_runtime_module(runtime)
        self.memory = MemoryGuard(runtime, memory_limit, memory_warning)
        self.lua = self.module.LuaRuntime(
            unpack_returned_tuples=True, **self.memory.runtime_options()
        )
        self.references = PythonReferences(self.lua, _lua_source("python_references"))
        self.memory.attach(self.lua)
        self.namespace: MutableMapping[str, Any] = namespace if namespace is not None else {}
        self.sources: dict[str, str] = {}
        self._is_standard_stream = self._run_internal(
            "output", self.memory.open_line.writer("stdout"), self.memory.open_line.writer("stderr")
        )
        self._run_internal("guards")
        self._run_internal("stdin", read_line)
        self._runner = self._run_internal("runner", _is_python_exception, OUT_OF_MEMORY)
        self._run_internal("c_stack_guard")  # before the interrupt layer, whose wrap it guards
        self.interrupts = InterruptGuard(self.lua, self.module, _lua_source("interrupt"))
        self.interrupts.on_poll = self.memory.sample_in_cell
        if self.interrupts.jit:
            self._run_internal("checked_loading", with_loop_checks)
            self.memory.guard_loop_checks(self.interrupts.every_loop_count)
        self.globals["py"] = self._run_internal(
            "namespace", self._namespace_get, self._namespace_set, self._namespace_names
        )
        self.proxy: ProxyLayer = install_proxy_layer(self)
        install_display(self)

    # -- what the user sees -------------------------------------------------

    @property
    def version(self) -> str:
        """The live runtime as Lua names itself, e.g. ``LuaJIT 2.1`` or ``Lua 5.4``."""
        implementation = self.lua.lua_implementation
        if implementation.startswith("LuaJIT"):
            major_minor = ".".join(implementation.split()[1].split(".")[:2])
            return f"LuaJIT {major_minor}"
        return implementation

    @property
    def globals(self) -> Any:
        """Lua's global table (`_G`), as a lupa table Python can index."""
        return self.lua.globals()

    def is_standard_stream(self, value: Any) -> bool:
        """True for `io.stdout`/`io.stderr`, which `io.write(...)` returns: no value to show."""
        return bool(self._is_standard_stream(value))

    def compiles(self, code: str) -> bool:
        """True when `code` is a valid Lua chunk; nothing is run."""
        try:
            self.lua.compile(code)
        except self.module.LuaSyntaxError:
            return False
        return True

    def run(self, code: str, chunk_name: str, source: str | None = None) -> tuple[Any, ...]:
        """Run `code` as the chunk `chunk_name`; return the values it returns.

        `source` is what the user wrote, when `code` is a rewrite of it on the
        same lines; error reports quote it. SIGINT stops the chunk with
        KeyboardInterrupt (see interrupt.py). Lua errors raise `ilupa.LuaError`
        subclasses; a Python exception raised by Python code that Lua called
        keeps its type and its Python frames, with Lua's traceback added as a
        note. Statements that ran before a failure keep their effects.
        """
        __tracebackhide__ = True
        self.sources[chunk_name] = code if source is None else source
        if self.interrupts.jit:
            code = with_loop_checks(code, self.compiles)
        try:
            chunk = self.lua.compile(code, name="=" + chunk_name)
        except self.module.LuaSyntaxError as error:
            raise lua_error_from(LuaSyntaxError, str(error), self.sources) from None
        self.references.recover()
        try:
            with self.memory.watching(), self.interrupts.armed():
                result = self.interrupts.call(self._runner.run, chunk)
                if isinstance(result, tuple) and result and result[0] is OUT_OF_MEMORY:
                    raise self.module.LuaMemoryError(result[1])
        except self.module.LuaMemoryError as error:
            raise self.memory.explain(partial(self._error, LuaMemoryError, error)) from None
        except self.module.LuaError as error:
            if self.memory.stopped_cell(error):
                raise self.memory.explain(partial(self._error, LuaMemoryError, error)) from None
            raise self._error(LuaRuntimeError, error) from None
        except Exception as error:
            lua_traceback = clean_traceback(self._runner.traceback())
            if lua_traceback:
                error.add_note(f"raised through Lua:\n{lua_traceback}")
            raise error.with_traceback(without_binding_frames(error.__traceback__)) from None
        if result is None:
            return ()
        values = result if isinstance(result, tuple) else (result,)
        return tuple(map(self.proxy.to_python_value, values))

    # -- internals ----------------------------------------------------------

    def _error(self, error_class: type, error: BaseException) -> Exception:
        with self.memory.lifted():  # the failed cell may have left Lua at its budget
            lua_traceback = self._runner.traceback()
        return lua_error_from(error_class, str(error), self.sources, lua_traceback)

    def _run_internal(self, name: str, *args: Any) -> Any:
        return self.lua.execute(_lua_source(name), *args, name=f"=ilupa:{name}")

    def _namespace_get(self, name: str) -> Any:
        value = self.namespace.get(name)
        proxy = getattr(self, "proxy", None)
        return value if proxy is None else proxy.to_lua(value)

    def _namespace_set(self, name: str, value: Any) -> None:
        if value is None:
            self.namespace.pop(name, None)
        else:
            self.namespace[name] = value

    def _namespace_names(self) -> Any:
        return self.lua.table_from(sorted(n for n in self.namespace if not n.startswith("_")))


OUT_OF_MEMORY = object()
"""What runner.lua returns, with the message, for a cell that ran out of memory."""


def _is_python_exception(value: object) -> bool:
    return isinstance(value, BaseException)
