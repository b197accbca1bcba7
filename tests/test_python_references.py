"""Python objects held by Lua stay the objects they were, and are freed once Lua drops them.

lupa's own bookkeeping calls the wrong (or a freed) Python object after its
collector finalizes a dropped reference late; ilupa/proxy/lifetimes.py works
around it. These tests fail without that workaround.
"""

from __future__ import annotations

import gc
import weakref

import pytest

import ilupa.interrupt.guard
from ilupa.proxy.lifetimes import RELEASE_EVERY
from ilupa.runtimes import available_runtimes
from ilupa.session import LuaSession
from tests.conftest import run
from tests.fault_corpus.kernel import LUA_CHECK, LUA_EXPECTED, LUA_SETUP, PYTHON_SETUP
from tests.fault_corpus.metamethods import COMMON, HELPERS

pytestmark = pytest.mark.slow

DIVE = """
local function dive(n)
  if n == 0 then py.raise_value('python bottom') end
  return py.call_lua(dive, n - 1)
end
return dive(5)
"""


class Token:
    """A Python object that can be weakly referenced and called."""

    def __call__(self) -> str:
        return "token"


def raise_value(message: str) -> None:
    raise ValueError(message)


def call_lua(function, *args):
    return function(*args)


def test_python_errors_through_lua_never_redirect_later_calls(session):
    """Struck within 300 rounds on Lua 5.1, 5.5 and both LuaJITs before the fix."""
    session.namespace.update(raise_value=raise_value, call_lua=call_lua)
    for round_number in range(500):
        with pytest.raises(ValueError, match="python bottom"):
            session.run(DIVE, f"dive{round_number}")


def test_an_object_lua_dropped_is_freed_by_collectgarbage(session):
    token = Token()
    alive = weakref.ref(token)
    session.namespace["token"] = token
    session.run("held = py.token", "hold")
    del session.namespace["token"], token
    gc.collect()
    assert alive() is not None, "Lua still holds it"
    session.run("held = nil collectgarbage()", "drop")
    gc.collect()
    assert alive() is None


def test_an_object_lua_still_holds_survives_releases(session):
    session.namespace["token"] = Token()
    session.run("held = py.token", "hold")
    alive = weakref.ref(session.namespace.pop("token"))
    session.references.release()
    session.run("collectgarbage()", "collect")
    gc.collect()
    assert alive() is not None
    assert session.run("return held()", "call") == ("token",)


class Holder:
    """A plain Python object Lua code hangs a Lua function on."""


CYCLE = """
local ring = {holder = py.Holder()}
ring.holder.callback = function() return ring end
cycle = ring
"""


CHAIN = "chain = {holder = py.Holder()}\nchain.holder.callback = print"


def held_holder(session, code: str = CYCLE, name: str = "cycle") -> weakref.ref:
    """A weak reference to the Holder that the Lua table `name` (made by `code`) holds."""
    session.namespace["Holder"] = Holder
    session.run(code, name)
    del session.namespace["Holder"]
    return weakref.ref(session.run(f"return {name}.holder", "read")[0])


def collect_both(session) -> None:
    for _ in range(2):  # a collection in each heap frees what the other one let go
        session.run("collectgarbage()", "collect")
        gc.collect()


def test_a_cross_heap_cycle_broken_from_lua_is_freed(session):
    alive = held_holder(session)
    session.run("cycle.holder.callback = nil cycle = nil", "break")
    collect_both(session)
    assert alive() is None


def test_a_cross_heap_cycle_broken_from_python_is_freed(session):
    alive = held_holder(session)
    del alive().callback
    session.run("cycle = nil", "drop")
    collect_both(session)
    assert alive() is None


def test_a_chain_without_the_way_back_is_freed(session):
    alive = held_holder(session, CHAIN, "chain")
    session.run("chain = nil", "drop")
    collect_both(session)
    assert alive() is None


def test_dropped_objects_are_freed_without_an_explicit_collection(session):
    """Every RELEASE_EVERY objects handed to Lua, the dropped ones go back to Python."""
    session.namespace["make"] = Token
    session.run("first = py.make()", "first")
    alive = weakref.ref(session.run("return first", "read")[0])
    session.run(f"first = nil for i = 1, {RELEASE_EVERY} do local t = py.make() end", "churn")
    gc.collect()
    assert alive() is None


# Lua 5.1 and LuaJIT (ilupa.interrupt.guard.COUNT_HOOK_RUNTIMES) run a count hook all along.
HOOKED_RUNTIMES = [r for r in available_runtimes() if r == "lua51" or r.startswith("luajit")]


@pytest.mark.parametrize("runtime", HOOKED_RUNTIMES)
def test_the_interrupt_hook_may_fire_while_references_are_released(
    runtime: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lua 5.1 and LuaJIT poll Python from a count hook; a release must not refuse that poll."""
    # A release runs far more than 7 Lua instructions while Python objects refuse calls.
    monkeypatch.setattr(ilupa.interrupt.guard, "HOOK_COUNT", 7)
    session = LuaSession(runtime, {"make": Token})
    count = RELEASE_EVERY * 2
    code = f"local n = 0 for i = 1, {count} do n = n + #tostring(py.make()) end return n"
    assert session.run(code, "churn") == (count * len(str(Token())),)


def test_a_finalizer_using_python_during_a_collection_breaks_no_reference(runtime_shell):
    """Such a `__gc` once corrupted lupa's reference slots: `py.name` gave another object."""
    shell = runtime_shell
    for cell in (PYTHON_SETUP, "%%lua\n" + LUA_SETUP, HELPERS.code):
        run(shell, cell).raise_error()
    entries = {entry.name: entry for entry in COMMON}
    for _ in range(3):
        gc_error = run(shell, "%%lua\n" + entries["gc-python-error"].code).error_in_exec
        assert gc_error is None or "__gc" in str(gc_error)  # Lua 5.1-5.3 raise it
        error = run(shell, "%%lua\n" + entries["index-python-error"].code).error_in_exec
        assert isinstance(error, ValueError) and "no missing" in str(error)
        assert repr(run(shell, "%%lua\n" + LUA_CHECK).result) == LUA_EXPECTED
