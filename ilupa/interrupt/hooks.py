"""Setting a count hook on running Lua threads from another thread, through the C API.

A count hook installed for the whole cell makes Lua 5.4 and 5.5 check a trap
on every VM instruction (125-170 % slower loops). Lua's manual allows
`lua_sethook` to be called asynchronously, so ilupa installs no hook while a
cell runs and sets one only when the interrupt arrives. The hook is
`luaL_error` itself: called as `hook(L, ar)`, it raises a Lua error whose
message is the first bytes of `ar` (no Python runs inside Lua's stack). With a
count of 1 the hook fires on every instruction, so a user's `pcall` cannot
swallow the interrupt; it stays until the cell ends.

lupa's extension module exports the C API of the Lua it embeds; loading it
again with ctypes gives the same, already loaded, library.
"""

from __future__ import annotations

import contextlib
import ctypes
import threading
from collections.abc import Iterator
from types import ModuleType

LUA_MASKCOUNT = 1 << 3


class ThreadHooks:
    """The Lua threads (lua_State addresses) of one state, hooked on demand."""

    def __init__(self, module: ModuleType, lock: threading.RLock) -> None:
        """`lock` is the interrupt guard's own: one lock for its armed state and the hooks.

        Two locks would deadlock: the SIGINT handler may run inside a
        registration (hooks lock held) and ask for the guard's, while the
        watcher thread holds the guard's and asks for the hooks'.
        """
        library = ctypes.CDLL(module.__file__)
        self._sethook = library.lua_sethook
        self._sethook.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
        self._sethook.restype = None
        self._raise_error = ctypes.cast(library.luaL_error, ctypes.c_void_p).value
        # Reentrant: the SIGINT handler may run (and hook) inside a registration.
        self._lock = lock
        self._threads: set[int] = set()
        self._armed = False
        self._hooked = False

    def register(self, name: str) -> None:
        """Remember a Lua thread by its `tostring` ("thread: 0x..."), called from Lua."""
        address = _address(name)
        with self._lock:
            self._threads.add(address)
            if self._hooked:
                self._sethook(address, self._raise_error, LUA_MASKCOUNT, 1)

    def unregister(self, names: str) -> None:
        """Forget Lua threads (their `tostring`s, comma-separated) before Lua may free them."""
        addresses = [_address(name) for name in names.split(",")]
        with self._lock:
            self._threads.difference_update(addresses)

    @property
    def count(self) -> int:
        """How many Lua threads are registered."""
        return len(self._threads)

    def arm(self) -> None:
        """A cell starts: an interrupt may now hook the threads."""
        with self._lock:
            self._armed = True

    def hook_all(self) -> None:
        """Make every registered thread raise at its next instruction (any thread may call)."""
        with self._lock:
            if not self._armed or self._hooked:
                return
            self._hooked = True
            for address in self._threads:
                self._sethook(address, self._raise_error, LUA_MASKCOUNT, 1)

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """Lift the interrupt's hooks for a short read of Lua by ilupa, then set them again.

        A nested run that was interrupted reads where Lua stopped while the
        outer run stays hooked (ilupa/cell_run.py).
        """
        with self._lock:
            hooked = self._hooked
            if hooked:
                for address in self._threads:
                    self._sethook(address, None, 0, 0)
            try:
                yield
            finally:
                if hooked and self._hooked:
                    for address in self._threads:
                        self._sethook(address, self._raise_error, LUA_MASKCOUNT, 1)

    def disarm(self) -> None:
        """The cell ended: remove the hooks before anything else runs Lua."""
        with self._lock:
            self._armed = False
            if self._hooked:
                self._hooked = False
                for address in self._threads:
                    self._sethook(address, None, 0, 0)


def _address(name: str) -> int:
    return int(name.rpartition(" ")[2], 16)
