"""Builtins whose C loop no budget could end, in the sandbox (ilupa/sandbox/long_loops.lua).

On Lua 5.3-5.5 `string.rep('', 2^50)`, `table.move({}, 1, 2^62, 2)` and
`table.insert`/`table.remove` on a table whose `__len` says 2^40 ran for hours
in one C call: no allocation for the memory budget, no hook for the
instruction budget or the stop button. The sandbox's versions end at the
budget; everything else they do is the builtin's, which the differential
tests check against plain lupa (the builtins themselves) on generated calls.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ilupa.runtimes import available_runtimes
from ilupa.sandbox import SandboxInstructionLimit
from ilupa.sandbox.state import SandboxState

LOOPING_RUNTIMES = [r for r in ("lua53", "lua54", "lua55") if r in available_runtimes()]
INSTRUCTIONS = 2_000_000
HUGE_LEN = "setmetatable({}, {__len = function() return 2^40 end})"
ENDLESS_CALLS = {
    "rep-empty": "return #string.rep('', 2^50)",
    "rep-empty-separator": "return #(''):rep(2^50, '')",
    "move-absent": "table.move({}, 1, 2^62, 2) return 1",
    "move-from-a-string": "table.move('abc', 1, 2^40, 1, {}) return 1",
    "insert-huge-len": f"local t = {HUGE_LEN} table.insert(t, 1, 'x') return 1",
    "remove-huge-len": f"local t = {HUGE_LEN} return table.remove(t, 1)",
}


@pytest.fixture(scope="module", params=LOOPING_RUNTIMES)
def sandbox(request: pytest.FixtureRequest) -> SandboxState:
    return SandboxState(request.param, 64 << 20, INSTRUCTIONS)


@pytest.fixture(scope="module")
def plain(sandbox: SandboxState) -> Any:
    """Plain lupa of the sandbox's runtime: the builtins as Lua made them."""
    return importlib.import_module(f"lupa.{sandbox.runtime_name}").LuaRuntime()


@pytest.mark.parametrize("call", ENDLESS_CALLS, ids=str)
def test_an_endless_c_call_meets_the_budget_or_returns(sandbox: SandboxState, call: str) -> None:
    code = ENDLESS_CALLS[call]
    if call.startswith("rep"):
        assert sandbox.run(code, "cell") == (0,)  # "" at once, as Lua 5.1, 5.2 and LuaJIT give
    else:
        with pytest.raises(SandboxInstructionLimit):
            sandbox.run(code, "cell")
    assert sandbox.run("return 1 + 1", "after") == (2,)


# -- the same as the builtins -------------------------------------------------------

# A call and what it leaves, as text both sides compare: the results, then the
# table's contents in key order, or the error's message without its position.
REPORT = """
local function report(ok, ...)
  local parts = {}
  if not ok then
    return "error: " .. tostring((...)):gsub("^[^:]*:%d+: ", "")
  end
  for i = 1, select("#", ...) do
    local v = select(i, ...)
    parts[#parts + 1] = rawequal(v, t) and "t" or rawequal(v, u) and "u" or tostring(v)
  end
  return "ok " .. select("#", ...) .. ": " .. table.concat(parts, ",")
end
local function contents(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  local parts = {}
  for _, k in ipairs(keys) do parts[#parts + 1] = tostring(k) .. "=" .. tostring(t[k]) end
  return table.concat(parts, " ")
end
"""
# Lengths and positions whose builtin call ends (math.maxinteger as a remove's
# length or math.mininteger as an insert's position loop 2^63 times in plain Lua).
LENGTHS = st.one_of(
    st.integers(min_value=-3, max_value=12),
    st.sampled_from(["2.5", "'7'", "'x'", "nil", "3.0"]),
)
POSITIONS = st.one_of(
    st.integers(min_value=-2, max_value=15),
    st.sampled_from(["1.5", "'2'", "'y'", "nil", "2.0"]),
)
VALUES = st.sampled_from(["'v'", "nil", "false", "42"])
SAME = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def _both(sandbox: SandboxState, plain: Any, body: str) -> None:
    """`body` (setting `t`, calling into `call`) gives the same report in the sandbox and plain."""
    code = (
        REPORT
        + "u = nil\n"
        + body
        + "\nreturn report(pcall(call)) .. ' | ' .. contents(t)"
        + " .. ' / ' .. (u and contents(u) or '-')"
    )
    expected = plain.execute(code)
    (got,) = sandbox.run(code, "cell")
    assert _unnamed(got) == _unnamed(expected)


def _unnamed(report: str) -> str:
    # A wrapper tail-called by pcall has no call site: Lua names the builtin
    # '?' or 'insert'; both say which argument and why.
    return re.sub(r"to '[^']*'", "to '...'", report)


@SAME
@given(
    length=st.one_of(LENGTHS, st.just("math.maxinteger")),
    position=POSITIONS,
    value=VALUES,
    count=st.sampled_from([2, 3]),
)
def test_insert_with_a_len_does_what_the_builtin_does(
    sandbox: SandboxState, plain: Any, length: Any, position: Any, value: str, count: int
) -> None:
    arguments = f"t, {position}, {value}" if count == 3 else f"t, {value}"
    body = (
        f"t = setmetatable({{'a', 'b', 'c', [5] = 'e'}}, "
        f"{{__len = function() return {length} end}})"
        f"\nlocal function call() return table.insert({arguments}) end"
    )
    _both(sandbox, plain, body)


@SAME
@given(length=LENGTHS, position=st.one_of(st.just(None), POSITIONS))
def test_remove_with_a_len_does_what_the_builtin_does(
    sandbox: SandboxState, plain: Any, length: Any, position: Any
) -> None:
    arguments = "t" if position is None else f"t, {position}"
    body = (
        f"t = setmetatable({{'a', 'b', 'c', [5] = 'e', [0] = 'z'}}, "
        f"{{__len = function() return {length} end}})"
        f"\nlocal function call() return table.remove({arguments}) end"
    )
    _both(sandbox, plain, body)


BIG = 70_000  # more elements than the sandbox leaves to the builtin's own loop


@SAME
@given(
    first=st.integers(min_value=-3, max_value=5),
    extent=st.sampled_from([0, 3, BIG, BIG + 7]),
    shift=st.sampled_from([-BIG, -2, 0, 1, 3, BIG // 2, BIG * 2]),
    other=st.booleans(),
)
def test_move_does_what_the_builtin_does(
    sandbox: SandboxState, plain: Any, first: int, extent: int, shift: int, other: bool
) -> None:
    last, target = first + extent, first + shift
    destination = ", u" if other else ""
    # sparse, so both sides compare a few keys, however far the move goes
    body = (
        f"local keys = {{{first}, {first + 1}, {last}, {last - 1}, {(first + last) // 2}}}"
        "\nt = {} for i, k in ipairs(keys) do t[k] = 'k' .. i end u = {}"
        f"\nlocal function call() return table.move(t, {first}, {last}, {target}{destination}) end"
    )
    _both(sandbox, plain, body)


def test_move_through_metamethods_calls_them_as_the_builtin(
    sandbox: SandboxState, plain: Any
) -> None:
    body = (
        "log = {} t = setmetatable({}, {"
        "__index = function(_, k) log[#log + 1] = 'r' .. k return k end, "
        "__newindex = function(_, k, v) if #log < 5 then log[#log + 1] = 'w' .. k end end})"
        f"\nlocal function call() table.move(t, 1, {BIG + 1}, 3) "
        "return #log, log[1], log[2], log[3] end"
    )
    _both(sandbox, plain, body)
