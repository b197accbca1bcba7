"""The one way into Lua: everything ilupa runs in Lua for the user runs as a cell run.

A cell, a Lua function that Python calls (a widget callback, `sorted(key=f)`,
a Python thread, Python code that Lua called calling back), a Lua value's
metamethods met while IPython displays it: each enters `CellRun.entered`,
which owns "Lua is running for the user" for one Lua state:

- one run at a time: a lock serializes runs from different threads (lupa
  runs one call at a time anyway); a run in the same thread nests;
- the interrupt (ilupa/interrupt/guard.py): the outermost run watches SIGINT (main
  thread) and arms the hooks; a nested run (Lua -> Python -> `%lua`) leaves
  both alone, so one SIGINT is one interrupt and the outer run stays
  stoppable. A stopped run raises a KeyboardInterrupt naming the cell and
  line where Lua was stopped;
- memory (ilupa/memory/guard.py): the outermost run is watched (warnings,
  the report after it); every run remembers the globals before it, and a run
  that ran out of memory drops the globals it created, collects garbage and
  raises the explained `LuaMemoryError`. lupa's budget is lifted while lupa
  pushes arguments and takes results outside a protected call (where a
  memory error aborts the process), and for ilupa's own work in a run; it is
  in force while the user's Lua runs;
- errors: Lua errors become `ilupa.LuaError`s with cell-relative lines;
  Python exceptions raised through Lua keep their type, with Lua's traceback
  as a note.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext, suppress
from dataclasses import dataclass
from functools import partial
from types import ModuleType
from typing import Any

from ilupa.errors import (
    LuaError,
    LuaMemoryError,
    LuaRuntimeError,
    LuaSyntaxError,
    clean_traceback,
    interrupt_error,
    lua_error_from,
    mark_raised_through_lua,
    users_traceback_of,
    without_binding_frames,
)
from ilupa.interrupt.guard import InterruptGuard
from ilupa.lua_function import unwrapped
from ilupa.memory.guard import MemoryGuard
from ilupa.proxy.lifetimes import PythonReferences

CELL = "a cell"
FUNCTION_CALL = "a Lua function called from Python"
DISPLAY = "showing a Lua value"

RUNNER_POSITION = re.compile(r"^ilupa:runner:\d+: ")
OUT_OF_MEMORY = "not enough memory"  # Lua's, and lauxlib's "... for buffer allocation"

FAILED = object()
"""What runner.lua returns first, with the kind and the error, for a run that failed."""


class _Failed(Exception):
    """runner.lua reported a failure: `kind` is "error" or "memory"."""

    def __init__(self, kind: str, value: Any) -> None:
        super().__init__(kind)
        self.kind = kind
        self.value = value


@dataclass
class _Entry:
    what: str
    nested: bool
    level: int | None = None  # the runner's nesting level, when the runner ran


class CellRun:
    """'Lua is running for the user' for one Lua state: interrupt, memory, errors, nesting."""

    def __init__(
        self,
        module: ModuleType,
        runner: Any,
        interrupts: InterruptGuard,
        memory: MemoryGuard,
        references: PythonReferences,
        sources: Mapping[str, str],
        streams_routed: Callable[[], AbstractContextManager[None]] = nullcontext,
    ) -> None:
        self._module = module
        self._streams_routed = streams_routed  # C stdout/stderr are the state's while it runs
        # Taken once: lupa reads a table's field wrongly from Python code that a
        # coroutine called (it returns the coroutine along with the value).
        self._runner_run = runner.run
        self._runner_call = runner.call
        self._runner_traceback = runner.traceback
        self._interrupts = interrupts
        self._memory = memory
        self._references = references
        self._sources = sources
        self.to_python: Callable[[Any], Any] = lambda value: value  # set by the session
        self._lock = threading.RLock()
        self._owner: int | None = None
        self._depth = 0
        self._runner_level = 0  # runner calls now nested (each has a globals snapshot)
        self._in_body = False
        self._is_main_thread = False

    # -- state -------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """True while Lua runs for the user (in any thread), nested runs included."""
        return self._depth > 0

    @property
    def depth(self) -> int:
        """How many runs are nested now (0: none)."""
        return self._depth

    def _in_python_called_by_lua(self) -> bool:
        return self._in_body and self._is_main_thread

    # -- entering ------------------------------------------------------------------

    @contextmanager
    def entered(self, what: str) -> Iterator[_Entry]:
        """Run the block as Lua running for the user; nests in the same thread.

        Errors leave the block translated (see the module docstring); an
        interrupt raises KeyboardInterrupt once the hooks are gone.
        """
        __tracebackhide__ = True
        nested = self._owner == threading.get_ident()
        entry = _Entry(what, nested)
        with ExitStack() as stack:
            if not nested:
                self._enter_outermost(stack)
            self._depth += 1
            stack.callback(self._leave_one)
            failure: BaseException | None = None
            was_in_body = self._in_body
            try:
                with ExitStack() as running:
                    if not nested:
                        running.enter_context(self._memory.watching(cell=what == CELL))
                        running.enter_context(self._interrupts.armed())
                    self._in_body = True
                    try:
                        yield entry
                    finally:
                        self._in_body = was_in_body
            except BaseException as error:  # translated below, with the hooks gone
                failure = error
            if nested:
                interrupted = self._interrupts.interrupted  # the outer run stops too
            else:
                interrupted = self._interrupts.take_interrupt()
            if interrupted:
                if isinstance(failure, KeyboardInterrupt) and hasattr(
                    failure, "_render_traceback_"
                ):
                    raise failure  # a nested run named where Lua stopped
                raise self._interrupt_error(entry) from None
            if failure is None:
                if not nested and what == CELL:  # not after every call of a sort key
                    self._memory.report_after_run()
                return
            raise self._translated(failure, entry) from None

    def _enter_outermost(self, stack: ExitStack) -> None:
        is_main = threading.current_thread() is threading.main_thread()
        if is_main:
            # Before waiting for the lock: a SIGINT meanwhile stops the run that holds it.
            stack.enter_context(self._interrupts.signals_watched(self._in_python_called_by_lua))
        self._lock.acquire()
        stack.callback(self._lock.release)
        self._owner = threading.get_ident()
        self._is_main_thread = is_main
        stack.callback(self._left_outermost)
        # ilupa's own work runs without the budget (lupa's bookkeeping at a full
        # heap aborts the process); the runner puts it in force for the user's Lua.
        stack.enter_context(self._memory.lifted())
        stack.enter_context(self._streams_routed())
        self._references.recover()

    def _left_outermost(self) -> None:
        self._owner = None
        self._is_main_thread = False

    def _leave_one(self) -> None:
        self._depth -= 1

    # -- calling through the runner -------------------------------------------------

    def run_code(self, code: str, chunk_name: str) -> tuple[Any, ...]:
        """Compile and run a cell (the runner compiles it, inside the run); its values,
        as Python gets them. A syntax error is a LuaSyntaxError."""
        __tracebackhide__ = True
        return self._through_runner(CELL, self._runner_run, code, chunk_name)

    def call_values(self, function: Any, args: tuple[Any, ...]) -> tuple[Any, ...]:
        """Call a Lua function for Python; every value it returns, as a tuple."""
        __tracebackhide__ = True
        return self._through_runner(
            FUNCTION_CALL, self._runner_call, function, *map(unwrapped, args)
        )

    def call_function(self, function: Any, args: tuple[Any, ...]) -> Any:
        """Call a Lua function for Python: None, one value, or a tuple, as lupa returns them."""
        __tracebackhide__ = True
        # straight to the runner, not through call_values: Lua and Python calling each
        # other in turn pay as few Python frames per level as can be (recursion limit)
        values = self._through_runner(
            FUNCTION_CALL, self._runner_call, function, *map(unwrapped, args)
        )
        if not values:
            return None
        return values[0] if len(values) == 1 else values

    def _through_runner(self, what: str, entry_point: Any, *args: Any) -> tuple[Any, ...]:
        __tracebackhide__ = True
        restore, lift = self._memory.budget_switches()
        try:
            with self.entered(what) as entry:
                self._runner_level += 1
                entry.level = self._runner_level
                try:
                    # Lifted while lupa pushes arguments and takes results (outside a
                    # protected call), also in a nested run, where Lua has it in force.
                    with self._memory.lifted():
                        result = entry_point(restore, lift, entry.level, *args)
                        if isinstance(result, tuple) and result and result[0] is FAILED:
                            raise _Failed(result[1], result[2])
                        if result is None:
                            return ()
                        values = result if isinstance(result, tuple) else (result,)
                        return tuple(map(self.to_python, values))
                finally:
                    self._runner_level -= 1
        except Exception as error:
            # the frames of `entered` (contextlib's) are added on the way out of it
            raise users_traceback_of(error) from error.__cause__
        raise AssertionError("unreachable")  # pragma: no cover

    # -- errors ------------------------------------------------------------------------

    def _translated(self, failure: BaseException, entry: _Entry) -> BaseException:
        module = self._module
        if isinstance(failure, _Failed):
            if failure.kind == "syntax":
                return lua_error_from(LuaSyntaxError, str(failure.value), self._sources)
            if failure.kind == "memory":
                return self._memory_error(str(failure.value), entry)
            value = failure.value
            if isinstance(value, BaseException):
                return self._passed_through(value, entry)
            # `error` called by Python directly (`py.call_lua(error, 'x')`) names
            # the runner's line as where it was raised: that is no user's line.
            message = RUNNER_POSITION.sub("", str(value), count=1)
            if self._memory.stopped_cell(Exception(message)) or OUT_OF_MEMORY in message:
                return self._memory_error(message, entry)
            return self._error(LuaRuntimeError, message, entry)
        if isinstance(failure, module.LuaMemoryError):
            return self._memory_error(str(failure), entry)
        if isinstance(failure, module.LuaError) and not isinstance(failure, LuaError):
            if self._memory.stopped_cell(failure):
                return self._memory_error(str(failure), entry)
            return self._error(LuaRuntimeError, str(failure), entry)
        return failure

    def _memory_error(self, message: str, entry: _Entry) -> LuaMemoryError:
        build = partial(self._error, LuaMemoryError, message, entry)
        return self._memory.explain(build, entry.level)  # type: ignore[arg-type]

    def _error(self, error_class: type[LuaError], message: str, entry: _Entry) -> LuaError:
        return lua_error_from(error_class, message, self._sources, self._traceback(entry))

    def _traceback(self, entry: _Entry) -> str | None:
        if entry.level is None:
            return None
        # Lua may be at its budget; a nested run may be stopped while the outer is hooked.
        with self._memory.lifted(), self._interrupts.hooks_paused(), suppress(Exception):
            return self._runner_traceback()
        return None

    def _passed_through(self, error: BaseException, entry: _Entry) -> BaseException:
        lua_traceback = clean_traceback(self._traceback(entry))
        if lua_traceback:
            error.add_note(f"raised through Lua:\n{lua_traceback}")
        mark_raised_through_lua(error)
        return error.with_traceback(without_binding_frames(error.__traceback__))

    def _interrupt_error(self, entry: _Entry) -> KeyboardInterrupt:
        return interrupt_error(self._sources, self._traceback(entry), entry.what)
