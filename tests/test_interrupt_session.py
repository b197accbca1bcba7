"""SIGINT stops Lua in coroutines, through pcall, and in Python code Lua called; state stays.

The signal is sent by a Python timer that Lua itself starts just before its
loop (`py.soon()`), so it always lands while the cell runs.
"""

from __future__ import annotations

import ctypes
import importlib
import os
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from ilupa.interrupt.hooks import allowhook_offset, main_thread_address
from ilupa.runtimes import available_runtimes
from ilupa.session import LuaSession

DELAY = 0.2


@pytest.fixture(params=available_runtimes())
def session(request: pytest.FixtureRequest) -> Iterator[LuaSession]:
    timers: list[threading.Timer] = []
    # A signal that comes after a (failing) cell ended must not stop the test run.
    previous = signal.signal(signal.SIGINT, lambda signum, frame: None)

    def soon() -> None:
        timer = threading.Timer(DELAY, os.kill, (os.getpid(), signal.SIGINT))
        timers.append(timer)
        timer.start()

    finished: list[bool] = []

    def slow_python() -> None:
        time.sleep(60)
        finished.append(True)

    namespace: dict[str, Any] = {"soon": soon, "slow_python": slow_python, "finished": finished}
    lua_session = LuaSession(request.param, namespace)
    lua_session.run("x = 0 kept = 'lua value'", "setup")
    yield lua_session
    for timer in timers:
        timer.join()
    signal.signal(signal.SIGINT, previous)


def interrupted(session: LuaSession, code: str) -> bool:
    try:
        session.run(code, "cell")
    except KeyboardInterrupt:
        return True
    return False


def assert_state_kept(session: LuaSession) -> None:
    """Globals survive, the loop ran, and Lua (pcall, coroutines) works normally again."""
    kept, ran, ok, value = session.run(
        "return kept, x > 0, "
        "pcall(function() return coroutine.wrap(function() return 7 end)() end)",
        "after",
    )
    assert (kept, ran, ok, value) == ("lua value", True, True, 7)


def test_interrupt_stops_a_loop_inside_a_coroutine(session: LuaSession) -> None:
    code = "py.soon() coroutine.wrap(function() while true do x = x + 1 end end)()"
    assert interrupted(session, code)
    assert_state_kept(session)


def test_interrupt_stops_a_coroutine_created_in_an_earlier_cell(session: LuaSession) -> None:
    session.run("co = coroutine.create(function() while true do x = x + 1 end end)", "make")
    assert interrupted(session, "py.soon() coroutine.resume(co)")
    assert_state_kept(session)


def test_pcall_in_a_loop_does_not_swallow_the_interrupt(session: LuaSession) -> None:
    code = (
        "py.soon() while true do "
        "pcall(function() while true do x = x + 1 end end) "
        "xpcall(function() while true do x = x + 1 end end, function(e) return e end) end"
    )
    assert interrupted(session, code)
    assert_state_kept(session)


def test_interrupt_stops_python_code_that_lua_called(session: LuaSession) -> None:
    assert interrupted(session, "x = 1 py.soon() py.slow_python() x = -1")
    assert session.namespace["finished"] == []
    assert_state_kept(session)


def test_an_interrupt_between_cells_does_not_stop_the_next_cell(session: LuaSession) -> None:
    session.interrupts.interrupt()
    assert session.run("local s = 0 for i = 1, 1000 do s = s + i end return s", "next") == (500500,)


# Lua 5.1 and LuaJIT poll with a count hook instead; they register no threads.
THREAD_HOOK_RUNTIMES = [r for r in available_runtimes() if r != "lua51" and "jit" not in r]


@pytest.mark.parametrize("session", THREAD_HOOK_RUNTIMES, indirect=True)
def test_collected_coroutines_are_forgotten(session: LuaSession) -> None:
    hooks = session.interrupts.hooks
    assert hooks is not None
    code = "for i = 1, 2000 do coroutine.wrap(function() end)() end collectgarbage()"
    session.run(code, "many")
    session.run("collectgarbage() collectgarbage() coroutine.create(print)", "again")
    assert hooks.count < 1000


def test_interrupt_stops_a_loop_over_python_data_and_the_gil_is_free(session: LuaSession) -> None:
    """On LuaJIT the loop reads through the C API, taking the GIL around each access:
    an interrupt arriving meanwhile must leave it released."""
    session.namespace["data"] = {"items": [{"v": i} for i in range(1000)]}
    code = (
        "py.soon() while true do for i = 0, 999 do"
        " local r = py.data.items[i] x = x + r.v + #py.data.items end end"
    )
    assert interrupted(session, code)
    assert_state_kept(session)
    ran = threading.Event()
    other = threading.Thread(target=ran.set)
    other.start()
    assert ran.wait(5)
    other.join()
    assert session.run("return py.data.items[999].v", "after") == (999,)


# Lua 5.2-5.5 run finalizers, and a message handler called for the hook's own
# error, with hooks off: the interrupt allows them again (ilupa/interrupt/hooks.py).
HOOKS_OFF_LOOPS = {
    "finalizer": "setmetatable({}, {__gc = function() while true do end end}) collectgarbage()",
    "finalizer-then-loop": (
        "setmetatable({}, {__gc = function() while true do end end}) collectgarbage() "
        "while true do x = x + 1 end"
    ),
    "message-handler": (
        "xpcall(function() while true do x = x + 1 end end, function(e) while true do end end)"
    ),
    "handler-of-an-error": "xpcall(function() error('x') end, function(e) while true do end end)",
}


@pytest.mark.parametrize("session", THREAD_HOOK_RUNTIMES, indirect=True)
@pytest.mark.parametrize("loop", HOOKS_OFF_LOOPS, ids=str)
def test_interrupt_stops_loops_where_lua_turns_hooks_off(session: LuaSession, loop: str) -> None:
    session.run("x = 1", "counter")
    assert interrupted(session, "py.soon() " + HOOKS_OFF_LOOPS[loop])
    assert_state_kept(session)


@pytest.mark.parametrize("events", ["'l'", "'c'", "'', 1"], ids=["line", "call", "count"])
def test_an_interrupt_drops_a_looping_debug_hook(session: LuaSession, events: str) -> None:
    """A user's hook that loops is stopped, and gone: the next cells run (lua.c's Ctrl-C too).

    On Lua 5.2-5.5 the interrupt's hook replaces it; on 5.1 and LuaJIT the
    hook stayed set, and every later cell hung in it until interrupted again.
    """
    session.run("x = 1", "counter")
    hooked = (
        f"py.soon() debug.sethook(function() while true do end end, {events})\n"
        "x = x + 1 local function f() return type(x) end f()"
    )
    assert interrupted(session, hooked)
    # No event left hooked (Lua 5.2 still names the function, with none; 5.4 says only nil).
    no_events = (
        "local _, mask, count = debug.gethook() return (mask or '') == '' and (count or 0) == 0"
    )
    # Were the hook kept, this cell would hang in it: a late SIGINT fails the test instead.
    rescue = threading.Timer(5.0, os.kill, (os.getpid(), signal.SIGINT))
    rescue.start()
    try:
        assert session.run(no_events, "after") == (True,)
    except KeyboardInterrupt:
        pytest.fail("the looping hook was still set: the next cell hung in it")
    finally:
        rescue.cancel()
        rescue.join()
    assert_state_kept(session)


# Lua 5.1 runs a userdata's finalizer with hooks off too; its main thread is
# found by a walk over the state's objects (hooks.main_thread_address). On
# LuaJIT the finalizer's loop check must not call Python through the proxy
# layer's call, which refuses while ilupa frees Python references.
USERDATA_FINALIZER_RUNTIMES = [r for r in available_runtimes() if r == "lua51" or "jit" in r]
LUA51_HOOKS_OFF_LOOPS = {
    "userdata-finalizer": (
        "local p = newproxy(true) getmetatable(p).__gc = function() while true do end end "
        "p = nil collectgarbage()"
    ),
    "userdata-finalizer-then-loop": (
        "local p = newproxy(true) getmetatable(p).__gc = function() while true do end end "
        "p = nil collectgarbage() while true do x = x + 1 end"
    ),
    "message-handler": HOOKS_OFF_LOOPS["message-handler"],
    "handler-of-an-error": HOOKS_OFF_LOOPS["handler-of-an-error"],
}


@pytest.mark.parametrize("session", USERDATA_FINALIZER_RUNTIMES, indirect=True)
@pytest.mark.parametrize("loop", LUA51_HOOKS_OFF_LOOPS, ids=str)
def test_interrupt_stops_userdata_finalizers_and_handlers(session: LuaSession, loop: str) -> None:
    session.run("x = 1", "counter")
    assert interrupted(session, "py.soon() " + LUA51_HOOKS_OFF_LOOPS[loop])
    assert_state_kept(session)


# LuaJIT keeps no allowhook byte per thread: nothing to find there.
@pytest.mark.parametrize(
    "session", [r for r in available_runtimes() if "jit" not in r], indirect=True
)
def test_the_main_thread_address_is_the_one_lua_hooks(session: LuaSession) -> None:
    """The walk on 5.1 and the tostring on 5.2+ name the thread a cell runs on."""
    main = main_thread_address(session.lua)
    offset = allowhook_offset(importlib.import_module(f"lupa.{session.runtime_name}"))
    assert main is not None and offset is not None
    # Inside a hook Lua clears the running thread's byte: the main thread's, here.
    allowhook = ctypes.c_ubyte.from_address(main + offset)
    seen: list[int] = []
    session.namespace["peek"] = lambda: seen.append(allowhook.value)
    session.run(
        "py.peek() debug.sethook(function() debug.sethook() py.peek() end, '', 1) local _ = 1",
        "peek",
    )
    assert seen == [1, 0]


def test_xpcall_with_a_handler_lua_takes_returns_every_result(session: LuaSession) -> None:
    # Lua 5.1 takes any handler value; elsewhere the builtin refuses it.
    code = "return pcall(xpcall, function() return 1, 2, 3, 4, 5 end, 5)"
    plain = importlib.import_module(f"lupa.{session.runtime_name}").LuaRuntime().execute(code)
    ours = session.run(code, "results")
    if plain[1] is True:  # the call was taken: all five results come back
        assert ours == plain == (True, True, 1, 2, 3, 4, 5)
    else:
        assert (ours[0], plain[0]) == (False, False)  # refused by both
