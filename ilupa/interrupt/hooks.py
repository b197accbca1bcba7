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
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from types import ModuleType
from typing import Any

LUA_MASKCOUNT = 1 << 3
NUDGE_SECONDS = 0.002  # between two allowances of hooks while an interrupted run goes on
STATE_BYTES = 256  # how much of a lua_State the experiment compares (allowhook is within)

LUA51_THREAD_TYPE = 8  # LUA_TTHREAD, the type byte after a GC object's `next` pointer

# Run in a scratch state: `snap(kind)` copies the main thread's bytes in
# ordinary code, inside a hook and inside a finalizer (a userdata's on Lua 5.1).
_ALLOWHOOK_EXPERIMENT = """
local snap = ...
snap("plain")
debug.sethook(function() debug.sethook() snap("hook") end, "", 1)
local _ = 1
debug.sethook()
local function finalizer() snap("finalizer") end
if _VERSION == "Lua 5.1" then
  getmetatable(newproxy(true)).__gc = finalizer
else
  setmetatable({}, { __gc = finalizer })
end
collectgarbage() collectgarbage()
snap("plain again")
"""


def main_thread_address(lua: Any) -> int | None:
    """The address of a state's main `lua_State`: its tostring on 5.2+, a walk on Lua 5.1.

    Lua 5.1 never names its main thread (`coroutine.running()` is nil
    there). Every GC object of a 5.1 state starts with its `next` pointer
    and its type byte, and new objects are put first in one list that the
    main thread ends (only userdata come after it). So the walk from a
    fresh coroutine visits every thread, newest first, and the last one is
    the main thread. Call it only while no Lua runs in the state (a walk
    beside a running collector could read freed objects); the state's own
    code made the coroutine, so no cell can have forged its tostring.
    """
    if lua.lua_implementation != "Lua 5.1":
        return _address(lua.execute("return tostring(coroutine.running())"))
    # `fresh` stays referenced while the walk runs: its object cannot be freed.
    fresh, name = lua.execute("local co = coroutine.create(function() end) return co, tostring(co)")
    main = None
    type_byte = ctypes.sizeof(ctypes.c_void_p)
    at: int | None = _address(name)
    while at:
        if ctypes.c_ubyte.from_address(at + type_byte).value == LUA51_THREAD_TYPE:
            main = at
        at = ctypes.c_void_p.from_address(at).value
    del fresh
    return main


@cache
def debug_library_hook(module: ModuleType) -> int | None:
    """The address of the debug library's C hook (`hookf`), which calls a thread's Lua hook.

    Read in a scratch state of the same runtime (a static function of the
    shared library: one address for every state): set a Lua hook, read it back.
    """
    scratch = module.LuaRuntime()
    main = main_thread_address(scratch)
    if main is None:
        return None
    library = ctypes.CDLL(module.__file__)
    library.lua_gethook.restype = ctypes.c_void_p
    library.lua_gethook.argtypes = [ctypes.c_void_p]
    scratch.execute("debug.sethook(function() end, '', 1e9)")
    return library.lua_gethook(main)


@cache
def allowhook_offset(module: ModuleType) -> int | None:
    """Where `allowhook` sits in this runtime's `lua_State`, or None if the experiment is unsure."""
    snapshots: dict[str, bytes] = {}
    scratch = module.LuaRuntime()
    main = main_thread_address(scratch)
    if main is None:
        return None

    def snap(kind: str) -> None:
        snapshots[kind] = ctypes.string_at(main, STATE_BYTES)

    try:
        scratch.execute(_ALLOWHOOK_EXPERIMENT, snap)
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


class HooksAllowance:
    """Sets `allowhook` on some Lua threads, at once and then every `NUDGE_SECONDS`.

    Lua turns hooks off again where it calls a message handler from the
    hook's own error (a looping `xpcall` handler), and a finalizer may start
    looping after the first interrupt: each is reached within `NUDGE_SECONDS`.
    With `rehook`, the threads' hooks are set again each time too: the
    thread's own decrement of its hook count can overwrite the count that
    `lua_sethook` set from this thread (no lock orders them), after which
    the count runs through all of `int` first (a looping line hook on Lua
    5.2 took 16 s to stop).
    """

    def __init__(
        self,
        offset: int,
        lock: threading.RLock,
        threads: Callable[[], Iterable[int]],
        going_on: Callable[[], bool],
        rehook: Callable[[int], None] | None = None,
    ) -> None:
        """`threads` gives the addresses to allow, `going_on` whether the stopped run still runs.

        Both are called with `lock` held, the lock that guards what they read.
        """
        self._offset = offset
        self._lock = lock
        self._threads = threads
        self._going_on = going_on
        self._rehook = rehook
        self._nudger: threading.Thread | None = None
        self._stopped = threading.Event()

    def allow(self) -> None:
        """Allow hooks on every thread now, and keep allowing them while the run goes on."""
        with self._lock:
            self._allow_now()
            if self._nudger is None:
                self._stopped.clear()
                self._nudger = threading.Thread(
                    target=self._nudge, name="ilupa-allow-hooks", daemon=True
                )
                self._nudger.start()

    def stop(self) -> None:
        """The stopped run ended: end the nudging (call without the lock held).

        Joined here, so that no thread of ilupa's is left holding the state
        once its run is over (a dropped session must be freed at once).
        """
        with self._lock:
            nudger, self._nudger = self._nudger, None
        if nudger is not None:
            self._stopped.set()
            nudger.join()

    def _nudge(self) -> None:
        while not self._stopped.wait(NUDGE_SECONDS):
            with self._lock:
                if not self._going_on():
                    return
                self._allow_now()

    def _allow_now(self) -> None:
        for address in self._threads():
            if self._rehook is not None:
                self._rehook(address)
            allowhook = ctypes.c_ubyte.from_address(address + self._offset)
            if allowhook.value == 0:
                allowhook.value = 1


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
        self._gethook = library.lua_gethook
        self._gethook.argtypes = [ctypes.c_void_p]
        self._gethook.restype = ctypes.c_void_p
        self._gethookmask = library.lua_gethookmask
        self._gethookmask.argtypes = [ctypes.c_void_p]
        self._gethookmask.restype = ctypes.c_int
        self._lua_hook = debug_library_hook(module)
        self._knocked: set[int] = set()  # threads given a knock during this run
        offset = allowhook_offset(module)
        self._allowance = (
            None
            if offset is None
            else HooksAllowance(
                offset, lock, lambda: self._threads, lambda: self._hooked, self._hook
            )
        )
        # Reentrant: the SIGINT handler may run (and hook) inside a registration.
        self._lock = lock
        self._threads: set[int] = set()
        self._armed = False
        self._hooked = False

    def _hook(self, address: int) -> None:
        """Make the thread at `address` raise at its next instruction."""
        self._sethook(address, self._raise_error, LUA_MASKCOUNT, 1)

    def register(self, name: str) -> None:
        """Remember a Lua thread by its `tostring` ("thread: 0x..."), called from Lua."""
        address = _address(name)
        with self._lock:
            self._threads.add(address)
            if self._hooked:
                self._hook(address)

    def unregister(self, names: str) -> None:
        """Forget Lua threads (their `tostring`s, comma-separated) before Lua may free them."""
        addresses = [_address(name) for name in names.split(",")]
        with self._lock:
            self._threads.difference_update(addresses)
            self._knocked.difference_update(addresses)

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
                    self._hook(address)
            if self._allowance is not None:
                self._allowance.allow()

    def knock(self) -> None:
        """Make every registered thread that has no hook call its Lua hook at its next instruction.

        A knock is the debug library's own hook with a count of 1: it calls
        the Lua function `debug.sethook` left for the thread (ilupa/debugger
        leaves one with no mask: no hook runs until the knock). A thread with
        a hook set (a user's, the profiler's, the debugger's line hook) is
        left alone. Only while a run is armed and not interrupted.
        """
        with self._lock:
            if not self._armed or self._hooked or self._lua_hook is None:
                return
            for address in self._threads:
                if self._gethook(address) is None:
                    self._sethook(address, self._lua_hook, LUA_MASKCOUNT, 1)
                    self._knocked.add(address)

    def _clear_knocks(self) -> None:
        """Take off the knocks no thread answered (the lock held, no Lua running)."""
        for address in self._knocked:
            knocked = self._gethook(address) == self._lua_hook
            if knocked and self._gethookmask(address) == LUA_MASKCOUNT:
                self._sethook(address, None, 0, 0)
        self._knocked.clear()

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
                        self._hook(address)

    def disarm(self) -> None:
        """The cell ended: remove the hooks before anything else runs Lua."""
        with self._lock:
            self._armed = False
            self._clear_knocks()
            if self._hooked:
                self._hooked = False
                for address in self._threads:
                    self._sethook(address, None, 0, 0)
        if self._allowance is not None:
            self._allowance.stop()


def _address(name: str) -> int:
    return int(name.rpartition(" ")[2], 16)
