"""One Lua state and everything ilupa sets up in it.

A `LuaSession` owns a lupa `LuaRuntime` on a chosen runtime, routes Lua output
to Python's streams, gives Lua the `py` view of the Python namespace, and runs
cells so that failures become `ilupa.LuaError`s that name the cell and line.
It knows nothing of IPython: the magics and the kernel both drive it.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from types import ModuleType
from typing import Any

from ilupa.cell_run import FAILED, CellRun
from ilupa.display.lua_display import install_display
from ilupa.frames.layer import FramesLayer
from ilupa.interrupt.guard import InterruptGuard
from ilupa.lua_function import LuaFunction
from ilupa.lua_layer import LuaLayer
from ilupa.lua_libraries import install_lua_libraries
from ilupa.lua_types import lua_type_of
from ilupa.memory.guard import DEFAULT_WARNING_SHARE, MemoryGuard
from ilupa.proxy import ProxyLayer, install_proxy_layer
from ilupa.proxy.fb_python import Reference
from ilupa.proxy.lifetimes import PythonReferences
from ilupa.proxy.manners import Manners
from ilupa.runtimes import load_runtime_module
from ilupa.source.loop_checks import with_loop_checks
from ilupa.source.parsing import LuaParser
from ilupa.streams import StandardStreams
from ilupa.streams.budget import DEFAULT_OUTPUT_LIMIT
from ilupa.streams.stdin import read_line


class LuaSession:
    """A live Lua state bound to a Python namespace."""

    def __init__(
        self,
        runtime: str,
        namespace: MutableMapping[str, Any] | None = None,
        memory_limit: int | None = None,
        memory_warning: float = DEFAULT_WARNING_SHARE,
        output_limit: int | None = DEFAULT_OUTPUT_LIMIT,
    ) -> None:
        self.runtime_name = runtime
        self.module: ModuleType = load_runtime_module(runtime)
        self.memory = MemoryGuard(runtime, memory_limit, memory_warning)
        self.parser = LuaParser(self.module)  # questions to Lua's parser (ilupa/source/parsing.py)
        # Reads from Python objects go from lupa's C __index straight to Python
        # (ilupa/proxy/manners.py); the proxy layer connects the conversions.
        self.manners = Manners()
        self.lua = self.module.LuaRuntime(
            unpack_returned_tuples=True,
            attribute_handlers=self.manners.lupa_attribute_handlers(),
            **self.memory.runtime_options(),
        )
        # every Lua file below is loaded through this, in the order ilupa/lua_layer.py declares
        self.layer = LuaLayer(self.lua)
        self.references = PythonReferences(self.layer)
        # Lua's own pcall, before the interrupt layer wraps it (ffi_references.lua needs it)
        self.raw_pcall = self.lua.eval("pcall")
        # read once: lupa evaluates Lua for it, which a user's failing debug hook breaks
        self.implementation: str = self.lua.lua_implementation
        self.memory.attach(self.lua)
        self.namespace: MutableMapping[str, Any] = namespace if namespace is not None else {}
        self.sources: dict[str, str] = {}
        # called with each cell's chunk name before it runs (the kernel's debugger)
        self.before_chunk: Callable[[str], None] | None = None
        self.display_reader: Any = None  # set by install_display (ilupa/display/reading.py)
        # First: every later layer (print's tostring, the interrupt layer's wrap) captures
        # the guarded functions.
        self.layer.load("c_stack_guard")
        # Lua's own print and io library, their bytes going to Python's streams
        self.streams = StandardStreams(
            self.layer,
            write_stdout=self.memory.open_line.writer("stdout"),
            write_stderr=self.memory.open_line.writer("stderr"),
            read_line=read_line,
            output_limit=output_limit,
        )
        self.layer.load("exit_refusal")
        self._runner = self.layer.load(
            "runner",
            is_python_exception=_is_python_exception,
            failed=FAILED,
            remember=self.memory.remember_globals,
        )
        self.interrupts = InterruptGuard(self.lua, self.module, self.layer, self._runner)
        self.interrupts.on_poll = self.memory.sample_in_cell
        self.interrupts.quiet_in(self.memory.sample_in_cell)  # also from LuaJIT's loops
        if self.interrupts.own_hook is not None:  # Lua 5.1, LuaJIT: a count hook always on
            # a user's debug.sethook sees the user's code, and the interrupt's hook goes on
            user_hooks = self.layer.load("user_hooks", own_hook=self.interrupts.own_hook)
            self.interrupts.after_interrupt = user_hooks.drop_all
        if self.interrupts.jit:
            self.layer.load("checked_loading", python_rewrite=with_loop_checks)
            self.memory.guard_loop_checks(self.interrupts.every_loop_count)
        # require finds what the same Lua version's own interpreter finds, C modules too
        self.search_paths = install_lua_libraries(self.lua, self.layer, runtime, self.module)
        self.cell_run = CellRun(
            self.module,
            self._runner,
            self.interrupts,
            self.memory,
            self.references,
            self.sources,
            self.streams.routed,
        )
        self._function_type = type(self.lua.eval("print"))
        self.globals["py"] = self.layer.load(
            "namespace",
            lookup=self._namespace_get,
            assign=self._namespace_set,
            names=self._namespace_names,
        ).py
        self.proxy: ProxyLayer = install_proxy_layer(self)
        self.cell_run.to_python = self.to_python
        install_display(self)
        self.frames = FramesLayer(self)

    # -- what the user sees -------------------------------------------------

    @property
    def version(self) -> str:
        """The live runtime as Lua names itself, e.g. ``LuaJIT 2.1`` or ``Lua 5.4``."""
        implementation = self.implementation
        if implementation.startswith("LuaJIT"):
            major_minor = ".".join(implementation.split()[1].split(".")[:2])
            return f"LuaJIT {major_minor}"
        return implementation

    @property
    def runner(self) -> Any:
        """runner.lua's table (its `on_uncaught` is the kernel debugger's stop on errors)."""
        return self._runner

    @property
    def globals(self) -> Any:
        """Lua's global table (`_G`), as a lupa table Python can index."""
        return self.lua.globals()

    def is_standard_stream(self, value: Any) -> bool:
        """True for `io.stdout`/`io.stderr`, which `io.write(...)` returns: no value to show."""
        return self.streams.is_standard_stream(value)

    def compiles(self, code: str) -> bool:
        """True when `code` is a valid Lua chunk; nothing is run (and nothing of the
        user's state is touched: see ilupa/source/parsing.py)."""
        return self.parser.compiles(code)

    def run(self, code: str, chunk_name: str, source: str | None = None) -> tuple[Any, ...]:
        """Run `code` as the chunk `chunk_name`; return the values it returns.

        `source` is what the user wrote, when `code` is a rewrite of it on the
        same lines; error reports quote it. SIGINT stops the chunk with
        a KeyboardInterrupt naming where Lua stopped (see cell_run.py).
        Lua errors raise `ilupa.LuaError`
        subclasses; a Python exception raised by Python code that Lua called
        keeps its type and its Python frames, with Lua's traceback added as a
        note. Statements that ran before a failure keep their effects.
        """
        __tracebackhide__ = True
        self.sources[chunk_name] = code if source is None else source
        if self.before_chunk is not None:
            self.before_chunk(chunk_name)
        if self.interrupts.jit:
            code = with_loop_checks(code, self.compiles)
        # compiled by the runner, inside the run: a collection step the compile
        # starts may run a user's looping __gc, which the stop button must reach
        return self.cell_run.run_code(code, "=" + chunk_name)

    def to_python(self, value: Any) -> Any:
        """A Lua value as Python gets it: views as their arrays, functions callable safely.

        Lua functions become `LuaFunction`s, whose calls run as cell runs
        (see ilupa/lua_function.py).
        """
        if type(value) is self._function_type:
            return LuaFunction(value, self.cell_run)
        return self.proxy.to_python_value(value)

    def callable_for_python(self, value: Any) -> Any:
        """A Lua function as a `LuaFunction`, an fb.python reference as its object (Lua
        hands over what the reference holds); any other value unchanged (no Lua call)."""
        kind = type(value)
        if kind is self._function_type:
            return LuaFunction(value, self.cell_run)
        if kind is Reference:
            return value.obj
        return value

    def call(self, function: Any, *args: Any) -> tuple[Any, ...]:
        """Call the Lua function `function` as a cell runs; return the values it returns.

        For Python code that calls Lua many times (a Dask task per partition):
        the same interrupt, memory and error handling as `run`, with errors that
        name the cell and line where the function was written. Arguments cross
        as `proxy.to_lua` makes them (numpy arrays as views, other objects by
        reference); returned views come back as the arrays they show.
        """
        __tracebackhide__ = True
        return self.cell_run.call_values(function, tuple(map(self.proxy.to_lua, args)))

    # -- internals ----------------------------------------------------------

    def _namespace_get(self, name: str) -> Any:
        """`py.name` from Lua, through Lua's call of a Python function.

        A tuple comes back inside a 1-tuple: lupa unpacks a returned tuple
        into several Lua values, and `py.t` must be the tuple itself.
        """
        value = self.namespace.get(name)
        proxy = getattr(self, "proxy", None)
        value = value if proxy is None else proxy.to_lua(value)
        return (value,) if isinstance(value, tuple) else value

    def close(self) -> None:
        """Release what this state holds of Python beyond lupa's own references."""
        self.proxy.close()

    def _namespace_set(self, name: str, value: Any) -> None:
        if getattr(self, "proxy", None) is not None and lua_type_of(value) == "cdata":
            value = self.proxy.to_python_value(value)
        if value is None:
            self.namespace.pop(name, None)
        else:
            self.namespace[name] = self.callable_for_python(value)

    def _namespace_names(self) -> Any:
        return self.lua.table_from(sorted(n for n in self.namespace if not n.startswith("_")))


def _is_python_exception(value: object) -> bool:
    return isinstance(value, BaseException)
