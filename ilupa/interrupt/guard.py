"""Stopping running Lua on SIGINT, on every runtime, without losing state.

While Lua runs in the main thread, CPython's C-level SIGINT handler only
records the signal: the Python-level handler waits for the next Python
bytecode. A watcher thread blocked on `signal.set_wakeup_fd`'s pipe hears of
the signal at once (lupa releases the GIL while Lua runs) and tells Lua:

- on Lua 5.2-5.5 it sets a count hook on every Lua thread of the state
  through the C API (see hooks.py); no hook runs before that, so the
  machinery costs nothing while the cell runs normally;
- on Lua 5.1 and LuaJIT, where Lua cannot name its main thread's address, a
  count hook calls `poll` about every 5 ms (at most every `HOOK_COUNT` VM
  instructions); LuaJIT does not call hooks in compiled traces, so the loops of
  a cell also check a flag byte through an FFI call (see loop_checks.py), which
  the watcher sets.

The Python-level handler, installed only while Lua runs, raises the same flag
and, when the main thread is in Python code that Lua called (`time.sleep`),
raises KeyboardInterrupt there. The flag stays raised until the cell ends, so
a `pcall` in the user's code cannot swallow the interrupt; the cell then
raises KeyboardInterrupt. Lua globals and Python variables are untouched.

One SIGINT stops the run that is armed when it arrives, and no other. Both
messengers may act late (the watcher waits for the GIL, the Python-level
handler for the main thread's next check of pending signals), so a run
neither starts nor ends while news of an earlier signal is still on its way:
arming and disarming happen under the watcher's lock after every wake-up
byte already written has been acted on, `interrupt` does nothing outside an
armed run, and the outermost run in the main thread lets pending Python-level
handlers run before it installs its own and before it restores the previous
one.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import select
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType, ModuleType
from typing import Any

from ilupa.interrupt.hooks import HooksAllowance, ThreadHooks, allowhook_offset, main_thread_address
from ilupa.lua_layer import LuaLayer

HOOK_COUNT = 2_000  # at most, between two calls of the Lua 5.1/LuaJIT hook (it adapts)
LOOP_CHECK_COUNT = 1_000  # LuaJIT loop passes between two reads of the flag, at most
INTERRUPT_MESSAGE = "interrupted"
OWN_WORK_DEPTH = 30  # frames looked at above the one SIGINT interrupted
COUNT_HOOK_RUNTIMES = ("Lua 5.1", "LuaJIT")


class _SignalWatcher:
    """One daemon thread per process that passes SIGINT wake-ups to the armed guards.

    Every wake-up byte is read and acted on under `_lock`, by the watcher
    thread or by a guard that arms or disarms (`caught_up`), never read in
    one place and acted on later: a watcher that read a byte during one run
    and got the GIL only after the next run was armed stopped that next run.
    """

    def __init__(self) -> None:
        self._read_fd, self._write_fd = os.pipe()
        os.set_blocking(self._write_fd, False)
        os.set_blocking(self._read_fd, False)
        # Reentrant: a garbage collection inside a locked section may run a
        # finalizer that calls Lua, and so enter a run that arms.
        self._lock = threading.RLock()
        self._guards: list[InterruptGuard] = []
        self._forward_fd = -1
        threading.Thread(target=self._watch, name="ilupa-sigint-watcher", daemon=True).start()

    @contextlib.contextmanager
    def watching(self, guard: InterruptGuard) -> Iterator[None]:
        """Interrupt `guard` on SIGINT while the block runs (main thread only).

        Blocks may nest (a second Lua state run from Python code that Lua
        called): the wake-up fd is ours once, and what it was before the
        outermost block is where signals are forwarded and what is restored.
        The fd is given back before the guard leaves, and the bytes written
        until then are passed on first, so none is dropped or forwarded to
        nobody.
        """
        previous = signal.set_wakeup_fd(self._write_fd, warn_on_full_buffer=False)
        with self._lock:
            self._guards.append(guard)
            if previous != self._write_fd:
                self._forward_fd = previous
        try:
            yield
        finally:
            signal.set_wakeup_fd(previous)
            with self._lock:
                self._take_wake_ups()
                self._guards.remove(guard)
                if previous != self._write_fd:
                    self._forward_fd = -1

    @contextlib.contextmanager
    def caught_up(self) -> Iterator[None]:
        """Run the block with every wake-up written so far acted on, and no other meanwhile.

        A guard arms and disarms inside it, so a signal counts for the run
        that was armed when its byte was written.
        """
        with self._lock:
            self._take_wake_ups()
            yield

    def _watch(self) -> None:
        while True:
            select.select([self._read_fd], [], [])
            with self._lock:
                self._take_wake_ups()

    def _take_wake_ups(self) -> None:
        """Act on every wake-up byte in the pipe (the lock held): interrupt, forward."""
        while True:
            try:
                data = os.read(self._read_fd, 512)
            except BlockingIOError:
                return
            if signal.SIGINT in data:
                self._interrupt_guards()
            if self._forward_fd >= 0:
                with contextlib.suppress(OSError):
                    os.write(self._forward_fd, data)

    def _interrupt_guards(self) -> None:
        """Interrupt every watching guard (the lock held).

        A function of its own: a loop variable in `_watch` would keep the last
        guard, and through it a Lua state `%lua_reset` retired, alive until the
        next SIGINT.
        """
        for guard in self._guards:
            guard.interrupt()


_watcher: _SignalWatcher | None = None
_watcher_lock = threading.Lock()


def _signal_watcher() -> _SignalWatcher:
    global _watcher
    with _watcher_lock:
        if _watcher is None:
            _watcher = _SignalWatcher()
        return _watcher


def _run_pending_signal_handlers() -> None:
    """Run the Python-level handlers of signals that arrived but whose handlers have not run.

    CPython runs a signal's handler at a later check in the main thread, and
    calls the handler installed then: a SIGINT that came during one run but
    whose handler runs only after the next run installed its own would stop
    that next run. Calling this where handlers change settles which run a
    signal belongs to. Main thread only; a handler that raises raises here.
    """
    _check_signals()


_check_signals = ctypes.pythonapi.PyErr_CheckSignals
_check_signals.argtypes = []
_check_signals.restype = ctypes.c_int


def uses_count_hook(implementation: str) -> bool:
    """True for runtimes that need a hook polling all the time (no thread addresses)."""
    return implementation.startswith(COUNT_HOOK_RUNTIMES)


class InterruptGuard:
    """The interrupt machinery of one Lua state: hooks, loop checks, and the flag.

    It does not decide when Lua runs for the user: ilupa/cell_run.py does,
    and enters `signals_watched` and `armed` once per outermost run.
    """

    def __init__(self, lua: Any, module: ModuleType, layer: LuaLayer, runner: Any) -> None:
        """`runner` is runner.lua's table: the hook must not raise in its message handler."""
        implementation = lua.lua_implementation
        self.jit = implementation.startswith("LuaJIT")
        self.on_poll: Callable[[], object] | None = None  # memory sampling (ilupa/memory)
        # Lua 5.1, LuaJIT: user_hooks.lua's drop_all, run when a run was interrupted
        self.after_interrupt: Callable[[], object] | None = None
        # [0]: the interrupt; [1]: a knock (Lua 5.1, LuaJIT: see `knock`)
        self._flag = ctypes.create_string_buffer(2)
        self._armed = False  # Lua runs for the user (see `armed`); only then an interrupt counts
        # `_armed` and the flag change together: the Python-level handler (main
        # thread) may interrupt while another thread's run disarms. Shared with
        # the hooks (see ThreadHooks); reentrant, as that handler may run inside
        # a section that holds it.
        self._state_lock = threading.RLock()
        hooks = None if uses_count_hook(implementation) else ThreadHooks(module, self._state_lock)
        self.hooks = hooks
        self._allowance = self._main_thread_allowance(lua, module) if hooks is None else None
        address = ctypes.addressof(self._flag) if self.jit else None
        interrupt = layer.load(
            "interrupt",
            poll=self.poll,
            knocked=self.knocked,
            count=HOOK_COUNT,
            loop_count=LOOP_CHECK_COUNT,
            flag_address=address,
            register=None if hooks is None else hooks.register,
            unregister=None if hooks is None else hooks.unregister,
            message_handler=runner.message_handler,
        )
        self._forget_freed = interrupt.forget_freed
        self._quiet_codes = {
            InterruptGuard.poll.__code__,
            InterruptGuard.knocked.__code__,
            ThreadHooks.register.__code__,
            ThreadHooks.unregister.__code__,
        }
        self._set_every_loop_count = interrupt.set_every_loop_count
        # `held` is true while ffi_references.lua holds the GIL: no poll then
        self.gil_step = interrupt.gil_step
        # LuaJIT: a Lua function raising the interrupt if it came (ffi_copies.lua)
        self.check_interrupt = interrupt.check_interrupt
        # the count hook of Lua 5.1 and LuaJIT, for user_hooks.lua (None on 5.2+)
        self.own_hook = interrupt.own_hook

    def _main_thread_allowance(self, lua: Any, module: ModuleType) -> HooksAllowance | None:
        """On Lua 5.1: let the count hook fire in a finalizer of the main thread once interrupted.

        Lua 5.1 runs a userdata's `__gc` with the thread's hooks off, as 5.2+
        do (see hooks.py). Its coroutines are not registered (the count hook
        needs no addresses), so only finalizers the main thread runs, which
        a cell's own collection does, are reached. LuaJIT's hooks are a flag
        of the whole state, and its loop checks need no hook.
        """
        if self.jit or not lua.lua_implementation.startswith("Lua 5.1"):
            return None
        offset = allowhook_offset(module)
        main = main_thread_address(lua)
        if offset is None or main is None:
            return None
        return HooksAllowance(offset, self._state_lock, lambda: (main,), self._stopping)

    def _stopping(self) -> bool:
        """True while an interrupted run goes on (the state lock held)."""
        return self._armed and self.interrupted

    def quiet_in(self, function: Callable[..., Any]) -> None:
        """SIGINT raises nothing inside `function` (ilupa's own work that Lua calls)."""
        self._quiet_codes.add(function.__code__)

    def _in_own_work(self, frame: FrameType | None) -> bool:
        """True when `frame` is (called by) the hook's poll or thread registration."""
        depth = 0
        while frame is not None and depth < OWN_WORK_DEPTH:
            if frame.f_code in self._quiet_codes:
                return True
            frame, depth = frame.f_back, depth + 1
        return False

    def every_loop_count(self, function: Any) -> None:
        """On LuaJIT, also call the Lua `function` from the loop checks, about every millisecond."""
        assert self._set_every_loop_count is not None, "loop checks exist on LuaJIT only"
        self._set_every_loop_count(function)

    @property
    def interrupted(self) -> bool:
        """True once an interrupt arrived during the running cell."""
        return self._flag[0] != b"\x00"

    def poll(self) -> bool:
        """Called by the Lua hook; running it lets a pending Python signal handler run.

        Only Lua run while `armed` is stopped: the hook also fires in ilupa's
        own Lua between runs, which an early interrupt must not break.
        """
        if self.on_poll is not None:
            self.on_poll()
        return self._armed and self.interrupted

    def knocked(self) -> bool:
        """Called by the Lua hook: whether a knock waits (see `knock`); it is taken."""
        waiting = self._armed and self._flag[1] != b"\x00"
        self._flag[1] = b"\x00"
        return waiting

    def knock(self) -> None:
        """Make the armed run's Lua call the registry's `ilupa.knocked` soon (from any thread).

        The debugger's way in while no line hook is set (a pause, breakpoints
        set while the cell runs). Lua 5.2-5.5: the debug library's hook on
        every thread with no hook of its own (ThreadHooks.knock). Lua 5.1 and
        LuaJIT: a flag the count hook and LuaJIT's loop checks read. Nothing
        between runs or once interrupted.
        """
        with self._state_lock:
            if not self._armed or self.interrupted:
                return
            if self.hooks is not None:
                self.hooks.knock()
            else:
                self._flag[1] = b"\x01"

    def interrupt(self) -> None:
        """Ask the armed run's Lua to stop (from any thread); between runs it does nothing.

        The flag is raised only while a run is armed, so news of a signal that
        arrives late (after its run ended) cannot stop the next run.
        """
        with self._state_lock:
            if not self._armed:
                return
            self._flag[0] = b"\x01"
            if self.hooks is not None:
                self.hooks.hook_all()
            if self._allowance is not None:
                self._allowance.allow()

    @contextlib.contextmanager
    def signals_watched(self, in_python_called_by_lua: Callable[[], bool]) -> Iterator[None]:
        """SIGINT interrupts this state while the block runs (main thread only).

        `in_python_called_by_lua` tells the handler whether the main thread
        is in Python code that Lua called (a long `time.sleep`), where the
        interrupt is raised as KeyboardInterrupt at once.
        """

        def on_sigint(signum: int, frame: FrameType | None) -> None:
            self.interrupt()
            # Never inside ilupa's own work for the hook (its poll, the memory sampling
            # the poll runs, thread registration), which must finish: the flag stops Lua.
            if in_python_called_by_lua() and not self._in_own_work(frame):
                raise KeyboardInterrupt(INTERRUPT_MESSAGE)

        # A signal that came before this run is the previous handler's.
        _run_pending_signal_handlers()
        previous = signal.signal(signal.SIGINT, on_sigint)
        try:
            with _signal_watcher().watching(self):
                yield
        finally:
            try:
                # One that came during it is this handler's (disarmed now, it
                # raises nothing), never the next run's handler's.
                _run_pending_signal_handlers()
            finally:
                signal.signal(signal.SIGINT, previous)

    @contextlib.contextmanager
    def armed(self) -> Iterator[None]:
        """Let an interrupt stop Lua while the block runs; the flag starts lowered.

        Arming and disarming wait until every SIGINT already signalled has
        been acted on (`_SignalWatcher.caught_up`): one from before the block
        finds the guard unarmed, one from during it raises the flag before the
        block is over. The hooks are gone when the block exits, before
        anything else (tracebacks, memory reports) runs Lua. The flag stays
        raised until `take_interrupt` reads it, so a `pcall` cannot swallow
        the interrupt.
        """
        watcher = _signal_watcher()
        with watcher.caught_up(), self._state_lock:
            self._flag[0] = self._flag[1] = b"\x00"
            self._armed = True
            if self.hooks is not None:
                self.hooks.arm()
        try:
            yield
        finally:
            try:
                with watcher.caught_up(), self._state_lock:
                    self._armed = False
            finally:
                if self._allowance is not None:
                    self._allowance.stop()
                if self.hooks is not None:
                    self.hooks.disarm()
                    self._forget_freed()  # Lua runs again only now, with the hooks gone

    def hooks_paused(self) -> contextlib.AbstractContextManager[None]:
        """Let ilupa read Lua briefly while an interrupted run's hooks are set (5.2-5.5)."""
        if self.hooks is None:
            return contextlib.nullcontext()
        return self.hooks.paused()

    def take_interrupt(self) -> bool:
        """True (once) when an interrupt arrived; lowers the flag.

        An interrupted run loses the user's debug hooks (`after_interrupt`),
        as in lua.c and as on Lua 5.2-5.5, where the interrupt's hook
        replaced them: a hook that loops would hang every later cell.
        """
        interrupted = self.interrupted
        self._flag[0] = b"\x00"
        if interrupted and self.after_interrupt is not None:
            self.after_interrupt()
        return interrupted
