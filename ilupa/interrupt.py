"""Stopping running Lua on SIGINT, on every runtime, without losing state.

While Lua runs in the main thread, CPython's C-level SIGINT handler only
records the signal: the Python-level handler (which raises KeyboardInterrupt)
waits for the next Python bytecode. Two paths bring the news to Lua:

- a count hook calls `poll` every `HOOK_COUNT` VM instructions; running that
  Python function lets CPython run the pending handler, which ilupa has
  replaced during the cell by one that only raises a sticky flag;
- LuaJIT does not call hooks in compiled traces, so the loops of a cell check
  a flag byte through an FFI call (see loop_checks.py). A watcher thread
  blocked on `signal.set_wakeup_fd`'s pipe sets that byte: CPython's C
  handler writes to the pipe at once, and lupa releases the GIL while Lua
  runs, so the thread gets to run.

The flag stays raised until the cell ends, so a `pcall` in the user's code
cannot swallow the interrupt; the cell then raises KeyboardInterrupt. Lua
globals and Python variables are untouched.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

HOOK_COUNT = 100_000
INTERRUPT_MESSAGE = "interrupted"


class _SignalWatcher:
    """One daemon thread per process that turns SIGINT wake-ups into flag bytes."""

    def __init__(self) -> None:
        self._read_fd, self._write_fd = os.pipe()
        os.set_blocking(self._write_fd, False)
        self._lock = threading.Lock()
        self._flags: list[ctypes.Array[ctypes.c_char]] = []
        self._forward_fd = -1
        threading.Thread(target=self._watch, name="ilupa-sigint-watcher", daemon=True).start()

    @contextlib.contextmanager
    def watching(self, flag: ctypes.Array[ctypes.c_char]) -> Iterator[None]:
        """Set `flag` on SIGINT while the block runs (main thread only)."""
        previous = signal.set_wakeup_fd(self._write_fd, warn_on_full_buffer=False)
        with self._lock:
            self._flags.append(flag)
            self._forward_fd = previous
        try:
            yield
        finally:
            with self._lock:
                self._flags.remove(flag)
                self._forward_fd = -1
            signal.set_wakeup_fd(previous)

    def _watch(self) -> None:
        while True:
            data = os.read(self._read_fd, 512)
            with self._lock:
                if signal.SIGINT in data:
                    for flag in self._flags:
                        flag[0] = b"\x01"
                forward = self._forward_fd
            if forward >= 0:
                with contextlib.suppress(OSError):
                    os.write(forward, data)


_watcher: _SignalWatcher | None = None
_watcher_lock = threading.Lock()


def _signal_watcher() -> _SignalWatcher:
    global _watcher
    with _watcher_lock:
        if _watcher is None:
            _watcher = _SignalWatcher()
        return _watcher


class InterruptGuard:
    """The interrupt machinery of one Lua state: hook, loop checks, and the flag."""

    def __init__(self, lua: Any, source: str, *, jit: bool) -> None:
        self.jit = jit
        self.on_poll: Callable[[], object] | None = None  # memory sampling (ilupa/memory)
        self._flag = ctypes.create_string_buffer(1)
        address = ctypes.addressof(self._flag) if jit else None
        lua.execute(source, self.poll, HOOK_COUNT, address, name="=ilupa:interrupt")

    @property
    def interrupted(self) -> bool:
        """True once an interrupt arrived during the running cell."""
        return self._flag[0] != b"\x00"

    def poll(self) -> bool:
        """Called by the Lua hook; running it lets a pending Python signal handler run."""
        if self.on_poll is not None:
            self.on_poll()
        return self.interrupted

    def interrupt(self) -> None:
        """Ask the running Lua to stop (from any thread)."""
        self._flag[0] = b"\x01"

    @contextlib.contextmanager
    def armed(self) -> Iterator[None]:
        """Run a cell so that SIGINT stops it; raise KeyboardInterrupt if it was stopped."""
        self._flag[0] = b"\x00"
        in_main = threading.current_thread() is threading.main_thread()
        with contextlib.ExitStack() as stack:
            if in_main:
                previous = signal.signal(signal.SIGINT, self._on_sigint)
                stack.callback(signal.signal, signal.SIGINT, previous)
                if self.jit:
                    stack.enter_context(_signal_watcher().watching(self._flag))
            try:
                yield
            except Exception:
                if not self.interrupted:
                    raise
            if self.interrupted:
                self._flag[0] = b"\x00"
                raise KeyboardInterrupt(INTERRUPT_MESSAGE) from None

    def _on_sigint(self, signum: int, frame: FrameType | None) -> None:
        self.interrupt()
