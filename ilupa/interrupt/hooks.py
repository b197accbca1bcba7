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

Lua runs finalizers (`__gc`) with hooks off: it clears the thread's
`allowhook` byte while one runs (and while a hook runs), so a finalizer that
loops would never see the hook. The interrupt therefore also sets that byte
on every registered thread. Its place in `lua_State` differs per Lua version;
`allowhook_offset` finds it by experiment in a scratch state of the same
runtime (the one byte that is 1 in ordinary code and 0 both inside a hook
and inside a finalizer) and gives up, leaving the byte alone, unless exactly
one byte fits. A finalizer stopped so ends with an error, which Lua turns into
a warning (5.4+) or an "error in __gc" (5.2, 5.3); the hook, still set, then
stops the cell.
"""

from __future__ import annotations

import contextlib
import ctypes
import threading
import time
from collections.abc import Iterator
from functools import cache
from types import ModuleType

LUA_MASKCOUNT = 1 << 3
NUDGE_SECONDS = 0.002  # between two allowances of hooks while an interrupted run goes on
STATE_BYTES = 256  # how much of a lua_State the experiment compares (allowhook is within)

# Run in a scratch state: `snap(kind, thread)` copies the main thread's bytes in
# ordinary code, inside a hook and inside a finalizer (`thread` is its tostring).
_ALLOWHOOK_EXPERIMENT = """
local snap = ...
local main = tostring(coroutine.running())
snap("plain", main)
debug.sethook(function() debug.sethook() snap("hook", main) end, "", 1)
local _ = 1
debug.sethook()
setmetatable({}, { __gc = function() snap("finalizer", main) end })
collectgarbage() collectgarbage()
snap("plain again", main)
"""


@cache
def allowhook_offset(module: ModuleType) -> int | None:
    """Where `allowhook` sits in this runtime's `lua_State`, or None if the experiment is unsure."""
    snapshots: dict[str, bytes] = {}

    def snap(kind: str, thread: str) -> None:
        # A scratch state ilupa made itself: no cell can have forged this tostring.
        snapshots[kind] = ctypes.string_at(_address(thread), STATE_BYTES)

    try:
        module.LuaRuntime().execute(_ALLOWHOOK_EXPERIMENT, snap)
    except Exception:  # no experiment, no poke: hooks-off code stays unstoppable
        return None
    if len(snapshots) != 4:
        return None
    plain, again, hook, finalizer = (
        snapshots[kind] for kind in ("plain", "plain again", "hook", "finalizer")
    )
    fitting = [
        at
        for at in range(STATE_BYTES)
        if plain[at] == again[at] == 1 and hook[at] == finalizer[at] == 0
    ]
    return fitting[0] if len(fitting) == 1 else None


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
        self._allowhook = allowhook_offset(module)
        self._nudging = False
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
            if not self._armed:
                return
            if not self._hooked:
                self._hooked = True
                for address in self._threads:
                    self._sethook(address, self._raise_error, LUA_MASKCOUNT, 1)
            self._allow_hooks()
            if self._allowhook is not None and not self._nudging:
                self._nudging = True
                threading.Thread(target=self._nudge, name="ilupa-allow-hooks", daemon=True).start()

    def _nudge(self) -> None:
        """Keep allowing hooks until the interrupted run ends.

        Lua turns hooks off again where it calls a message handler from the
        hook's own error (a looping `xpcall` handler), and a finalizer may start
        looping after the first interrupt: each is reached within `NUDGE_SECONDS`.
        """
        try:
            while True:
                time.sleep(NUDGE_SECONDS)
                with self._lock:
                    if not self._hooked:
                        return
                    self._allow_hooks()
        finally:
            with self._lock:
                self._nudging = False

    def _allow_hooks(self) -> None:
        """Let the hook fire where Lua turned hooks off (finalizers), on all threads (lock held)."""
        if self._allowhook is None:
            return
        for address in self._threads:
            allowhook = ctypes.c_ubyte.from_address(address + self._allowhook)
            if allowhook.value == 0:
                allowhook.value = 1

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
