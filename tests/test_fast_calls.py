"""Calls of math's pure functions with plain arguments take the FFI fast path on LuaJIT.

The fast path (ilupa/proxy/ffi_references.lua, `fast_call`) must give what the
Python-side path gives for every argument: the same values, the same count of
results, the same errors. The differential test calls each function both ways
in one Lua state: directly (the fast path on LuaJIT) and through a Python
lambda, which no fast path takes.
"""

from __future__ import annotations

import gc
import math

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ilupa.proxy.c_api import PURE_MATH_FUNCTIONS
from ilupa.session import LuaSession
from tests.python_calls import python_calls_during

FFI_RUNTIMES = ("luajit20", "luajit21")

BOTH_WAYS = """
local name, n = py.call_name, py.call_count
local f, g = py.math[name], py.via_python(name)
local a, b = py.call_args[0], py.call_args[1]
local function outcome(h)
  local results
  if n == 1 then results = { pcall(h, a) } else results = { pcall(h, a, b) } end
  return results[1], #results - 1, results[2]
end
local fast_ok, fast_count, fast_value = outcome(f)
local slow_ok, slow_count, slow_value = outcome(g)
return fast_ok, fast_count, fast_value, slow_ok, slow_count, slow_value
"""

COMBINATORIAL = ("factorial", "comb", "perm")
plain_values = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**53), max_value=2**53),
    st.integers(min_value=-30, max_value=30),
    st.booleans(),
    st.text(max_size=3),
)


@pytest.fixture(scope="module", params=["luajit21", "luajit20"])
def luajit_session(request: pytest.FixtureRequest) -> LuaSession:
    session = LuaSession(request.param, {})
    session.namespace.update(
        math=math, via_python=lambda name: lambda *args: getattr(math, name)(*args)
    )
    return session


def same_value(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    return a == b and type(a) is type(b)


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=st.sampled_from([n for n in PURE_MATH_FUNCTIONS if hasattr(math, n)]),
    args=st.lists(plain_values, min_size=1, max_size=2),
)
def test_the_fast_path_gives_what_the_python_side_path_gives(
    luajit_session: LuaSession, name: str, args: list[object]
) -> None:
    if name in COMBINATORIAL:  # factorial(2**53), or of 1e7 (an integral number), runs for ever
        assume(all(isinstance(a, str) or not abs(a) > 1000 for a in args))
    luajit_session.namespace.update(call_name=name, call_count=len(args), call_args=[*args, None])
    fast_ok, fast_count, fast_value, slow_ok, slow_count, slow_value = luajit_session.run(
        BOTH_WAYS, "both ways"
    )
    assert (fast_ok, fast_count) == (slow_ok, slow_count)
    if fast_ok:
        assert same_value(fast_value, slow_value)
    else:
        assert type(fast_value) is type(slow_value)


def dispatches_of(session: LuaSession, code: str, function: object) -> int:
    """How many calls of `function` ilupa's Python-side call dispatch made while Lua ran `code`."""
    return python_calls_during(
        session,
        code,
        lambda frame: (
            frame.f_code.co_name in ("call", "call_1", "call_2")
            and frame.f_locals.get("function") is function
        ),
    )


def test_math_calls_skip_python_side_dispatch_on_luajit(session: LuaSession) -> None:
    session.namespace["math"] = math
    code = "local sqrt, s = py.math.sqrt, 0 for i = 1, 100 do s = s + sqrt(i) end return s"
    dispatched = dispatches_of(session, code, math.sqrt)
    assert dispatched == (0 if session.runtime_name in FFI_RUNTIMES else 100)


def test_a_python_function_still_takes_the_python_side_path(session: LuaSession) -> None:
    twice = session.namespace["twice"] = lambda x: 2 * x
    code = "local s = 0 for i = 1, 10 do s = s + py.twice(i) end return s"
    assert dispatches_of(session, code, twice) == 10


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_left_as_it_was(session: LuaSession, enabled: bool) -> None:
    session.namespace["math"] = math
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        ok, _ = session.run("return pcall(py.math.sqrt, -1), py.math.sqrt(4)", "gc")
        assert ok is False
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()
