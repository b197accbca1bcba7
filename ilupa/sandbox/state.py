"""A separate Lua state for code that is not trusted.

lupa is told to give Lua no way into Python (no `python.eval`, no builtins,
and an attribute filter that refuses every attribute), and the only Python
objects inside the state are the function that writes `print` output and the
one that says whether the user pressed stop. Cells run in an environment
built by sandbox.lua (no `os`, `io`, `debug`, `package`, bytecode, or string
metatable), under a memory budget (lupa's `max_memory`) and an instruction
budget (a count hook; LuaJIT's JIT is off so that the hook is always called).
On LuaJIT, recursion through C (nested coroutines, gsub callbacks, __tostring)
is limited as in the main state.

The budget holds only inside Lua's protected calls. Every step lupa takes
outside one (making the argument strings of a call, references to its
results, copies of `-i` inputs) runs with the budget lifted (`_lifted`), so a
full sandbox never meets an allocation failure where Lua cannot raise it
(that aborted the process). Inputs are estimated against the budget first and
checked while they are copied; outputs are counted against a host-side limit
as they are copied out (plain_data.py).
"""

from __future__ import annotations

import gc
import re
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager, suppress
from importlib import resources
from types import FrameType
from typing import Any, NoReturn

from ilupa.errors import LuaRuntimeError, LuaSyntaxError, interrupt_error, lua_error_from
from ilupa.lua_layer import load_lua_file
from ilupa.memory.budget import format_bytes
from ilupa.memory.estimate import LuaCopyRefused, check_copy_fits
from ilupa.memory.report import few_names
from ilupa.runtimes import load_runtime_module
from ilupa.sandbox.errors import (
    SandboxCopyRefused,
    SandboxInstructionLimit,
    SandboxMemoryLimit,
    SandboxOutputLimit,
    SandboxUnavailable,
)
from ilupa.sandbox.plain_data import OutputMeter, to_lua, values_from_lua
from ilupa.streams.budget import DEFAULT_OUTPUT_LIMIT, OutputBudget

RUNNER_POSITION = re.compile(r"^ilupa:sandbox:\d+: ")

MEMORY_ERROR_MESSAGE = "not enough memory"
HEADROOM = 256 << 10  # room a call needs before its protected part (lupa growing Lua's stack)


def _refuse_attribute(obj: object, name: str, is_setting: bool) -> NoReturn:
    raise AttributeError("the Lua sandbox has no access to Python attributes")


def _stdout_writer(budget: OutputBudget) -> Callable[[bytes], None]:
    """The sandbox's `print` target: sys.stdout, within the cell's output budget."""

    def write_stdout(text: bytes) -> None:
        budget.write_bytes(text, sys.stdout.write)

    return write_stdout


class SandboxState:
    """One sandboxed Lua state: run cells, copy plain data in and out."""

    def __init__(
        self,
        runtime: str,
        memory_limit: int,
        instruction_limit: int,
        output_limit: int | None = DEFAULT_OUTPUT_LIMIT,
    ) -> None:
        self.runtime_name = runtime
        self.output = OutputBudget(output_limit)  # what one sandboxed cell may print
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
        self._interrupted = False
        # Before sandbox.lua copies the standard library: the copies get the limits.
        # LuaJIT only; None elsewhere
        guard_functions = load_lua_file(self.lua, "c_stack_guard").functions
        package = resources.files("ilupa.sandbox")
        long_loops = None
        if self.lua.eval("math.ult ~= nil"):  # Lua 5.3-5.5 (see long_loops.lua)
            long_loops = self.lua.execute(
                package.joinpath("long_loops.lua").read_bytes(),
                self.lua.eval(
                    "{rep = string.rep, move = table.move, "
                    "insert = table.insert, remove = table.remove}"
                ),
                name="=ilupa:sandbox_long_loops",
            )
        self._runner = self.lua.execute(
            package.joinpath("sandbox.lua").read_bytes(),
            _stdout_writer(self.output),
            instruction_limit,
            self._poll,
            guard_functions,
            long_loops,
            name="=ilupa:sandbox",
        )
        self.sources: dict[str, str] = {}

    # -- the budget around lupa's unprotected steps ---------------------------------

    @contextmanager
    def _lifted(self) -> Iterator[None]:
        """No budget for the block: lupa's steps outside a protected call cannot fail."""
        self.lua.set_max_memory(0)
        try:
            yield
        finally:
            self.lua.set_max_memory(self.memory_limit)

    def _used(self) -> int:
        return int(self.lua.get_memory_used() or 0)

    # -- cells ----------------------------------------------------------------------

    def run(self, code: str, chunk_name: str, source: str | None = None) -> tuple[Any, ...]:
        """Run `code` as chunk `chunk_name` in the sandbox; return its values as plain data."""
        __tracebackhide__ = True
        self.sources[chunk_name] = code if source is None else source
        self.output.start_run()
        with self._lifted():
            self._runner.prepare(code.encode("utf-8"), b"=" + chunk_name.encode())
            if self._used() > self.memory_limit - HEADROOM:
                self.lua.execute(b"collectgarbage() collectgarbage()")
            if self._used() > self.memory_limit - HEADROOM:
                # Lua tables that dead Python wrappers still hold (lupa's references,
                # in a cycle with a caught error's frames, say) go with Python's collection.
                gc.collect()
                self.lua.execute(b"collectgarbage() collectgarbage()")
        used = self._used()
        if used > self.memory_limit - HEADROOM:
            # Still nearly full after collecting: lupa's own steps of a call (growing
            # Lua's stack) need room outside any protected call, so this one cell runs
            # with HEADROOM above what is used, past the budget by at most that much.
            # Refusing it instead left no way to do what the memory error advises
            # (`big = nil`): the sandbox stayed full until a reset.
            self.lua.set_max_memory(used + HEADROOM)
        escaped = ""  # an error the runner's own xpcall did not catch
        try:
            with self._stoppable():
                try:
                    status = self._runner.run().decode()
                except self.module.LuaMemoryError:
                    status = "memory"
                except self.module.LuaError as error:
                    status, escaped = "error", str(error)
        finally:
            self.lua.set_max_memory(self.memory_limit)
        with self._lifted():
            self._runner.stop_hook()
            outcome = self._runner.outcome()
            if status == "ok":
                return values_from_lua(outcome, self.module.lua_type, self._output_meter())
        message = outcome.decode("utf-8", "replace") if isinstance(outcome, bytes) else escaped
        if status == "syntax":
            raise lua_error_from(LuaSyntaxError, message, self.sources)
        # Where a stopped run was: "chunk:line: " of the cell's innermost code (sandbox.lua)
        place = message if status in ("interrupted", "instructions") else ""
        if status == "interrupted":
            raise interrupt_error(self.sources, f"\t{place}in the cell", "a sandboxed cell")
        if status == "instructions":
            raise lua_error_from(
                SandboxInstructionLimit,
                f"{place}the cell ran more than {self.instruction_limit:,} Lua instructions, "
                "the sandbox's budget (LuaMagics.sandbox_instruction_limit); it was stopped",
                self.sources,
            )
        if status == "memory" or MEMORY_ERROR_MESSAGE in message:
            raise self._memory_error()
        with self._lifted():
            traceback = self._runner.traceback()
        traceback = traceback.decode("utf-8", "replace") if traceback else None
        # `error(x, 2)` at a cell's top level names the runner that called the cell:
        # plain lupa's caller there is C, so Lua gives no position at all
        message = RUNNER_POSITION.sub("", message, count=1)
        raise lua_error_from(LuaRuntimeError, message, self.sources, traceback)

    def _memory_error(self) -> SandboxMemoryLimit:
        with self._lifted():
            named, count = self._runner.drop_new_globals()
            dropped = few_names(named.decode("utf-8", "replace").split(", "), count)
            self.lua.execute(b"collectgarbage() collectgarbage()")
        used = self._used()
        text = (
            f"the cell needed more than {self.memory_limit:,} bytes of Lua memory, the "
            "sandbox's budget (LuaMagics.sandbox_memory_limit)."
        )
        if dropped:
            text += f" Dropped the globals this cell created: {dropped}."
        text += (
            f" The sandbox now uses {format_bytes(used)} of {format_bytes(self.memory_limit)}; "
            "set large globals to nil, or `%lua_reset --sandbox` starts a fresh sandbox."
        )
        return SandboxMemoryLimit(text)

    # -- stopping -------------------------------------------------------------------

    @contextmanager
    def _stoppable(self) -> Iterator[None]:
        """SIGINT while the cell runs sets a flag the sandbox's hook asks for (`_poll`)."""
        self._interrupted = False
        with ExitStack() as stack:
            if threading.current_thread() is threading.main_thread():
                previous = signal.signal(signal.SIGINT, self._on_sigint)
                stack.callback(signal.signal, signal.SIGINT, previous)
            yield

    def _on_sigint(self, signum: int, frame: FrameType | None) -> None:
        self._interrupted = True

    def _poll(self) -> bool:
        """Called by the sandbox's hook; running it lets a pending SIGINT handler run."""
        return self._interrupted

    # -- compiling and copies -------------------------------------------------------

    def compiles(self, code: str) -> bool:
        """True when `code` is a valid Lua chunk; nothing is run."""
        try:
            with self._lifted():
                self.lua.compile(code.encode("utf-8"))
        except self.module.LuaSyntaxError:
            return False
        return True

    def set_global(self, name: str, value: Any) -> None:
        """Copy plain Python data into the sandbox as the global `name`."""
        self.set_globals({name: value})

    def set_globals(self, values: Mapping[str, Any]) -> None:
        """Copy plain Python data into the sandbox: every value fits, or none is set.

        The copies are estimated against the sandbox's budget first, then made
        with the budget lifted and Lua's real usage checked after each table;
        a copy that outgrows the budget is dropped and refused.
        """
        if not values:
            return
        what = " and ".join(f"Python variable {name!r}" for name in values)
        try:
            check_copy_fits(
                list(values.values()), self.runtime_name, self._used(), self.memory_limit, 1.0, what
            )
        except LuaCopyRefused as refused:
            raise SandboxCopyRefused(_for_the_sandbox(str(refused))) from None
        copies: dict[str, Any] = {}
        try:
            with self._lifted():
                for name, value in values.items():
                    copies[name] = to_lua(
                        self.lua, value, f"Python variable {name!r}", self._check_input(what)
                    )
                for name, copy in copies.items():
                    self._runner.set_global(name.encode("utf-8"), copy)
        except BaseException as error:
            copies.clear()
            with self._lifted(), suppress(Exception):
                self.lua.execute(b"collectgarbage() collectgarbage()")
            raise error.with_traceback(None) from None

    def _check_input(self, what: str) -> Any:
        def check() -> None:
            used = self._used()
            if used > self.memory_limit:
                raise SandboxCopyRefused(
                    f"copying {what} into the sandbox was refused: while it was made, the "
                    f"sandbox's usage reached {format_bytes(used)}, past its "
                    f"{format_bytes(self.memory_limit)} budget (LuaMagics.sandbox_memory_limit). "
                    "Nothing was copied."
                )

        return check

    def get_global(self, name: str) -> Any:
        """A plain Python copy of the sandbox's global `name` (None when undefined)."""
        return self.get_globals([name])[name]

    def get_globals(self, names: list[str]) -> dict[str, Any]:
        """Plain Python copies of sandbox globals, within one host-side output limit."""
        meter = self._output_meter()
        copies = {}
        with self._lifted():
            for name in names:
                try:
                    packed = self._runner.global_value(name.encode("utf-8"))
                except self.module.LuaError as error:  # more entries than a copy out takes
                    message = str(error).split("\nstack traceback:", 1)[0]
                    raise SandboxOutputLimit(f"-o {name}: {message}; nothing was bound") from None
                copies[name] = values_from_lua(packed, self.module.lua_type, meter)[0]
        return copies

    def _output_meter(self) -> OutputMeter:
        """Outputs may take in Python at most what the sandbox may hold in Lua."""
        return OutputMeter(self.memory_limit)


def _for_the_sandbox(message: str) -> str:
    """A copy refusal's text, with the sandbox's own budget and alternatives."""
    message = message.replace("into Lua", "into the sandbox", 1)
    message = message.replace("budget", "sandbox budget (LuaMagics.sandbox_memory_limit)", 1)
    return message.split(" Pass it by reference", 1)[0] + (
        " The sandbox takes only copies: pass less data, or raise the sandbox's budget."
    )
