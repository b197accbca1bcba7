"""Hypothesis fuzzing of copies near the memory budget and of sandboxed cells.

Copies: generated Python data around the size of a small budget (flat, nested,
shared, with big strings where the estimate's sample may not look), copied
into Lua from Python and from Lua. Each copy fits, or is refused with
`LuaCopyRefused` and Lua's usage back where it was; the process never aborts.

Sandbox: generated cells that fill memory, nest C calls, spin, fail and copy
data in and out, near the sandbox's budgets. Each cell gives a value or one
of the sandbox's errors, and the sandbox works afterwards.

Bounded in the suite (`ILUPA_FUZZ_EXAMPLES`, default 200 per test); see test_fuzz.py.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ilupa
from ilupa.errors import LuaError
from ilupa.memory.estimate import estimate_lua_bytes
from ilupa.sandbox import (
    SandboxCopyRefused,
    SandboxInstructionLimit,
    SandboxMemoryLimit,
    SandboxOutputLimit,
    SandboxState,
)
from ilupa.session import LuaSession

EXAMPLES = int(os.environ.get("ILUPA_FUZZ_EXAMPLES", "200"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
RUNTIMES = ("luajit21", "lua54", "lua51")
BUDGET = 4 << 20
SLACK = 256 << 10  # what Lua's own bookkeeping may keep after a refused copy
# lupa holds a registry reference per table Python holds; the registry's array
# grows to the most held at once (a refused copy held each table it made) and
# Lua does not shrink it: up to two slots per table.
REGISTRY_SLOT = 32
# What ilupa's own Lua may keep after a run, made with the budget lifted: LuaJIT's
# traces of ilupa's runner, strings it interned (measured: up to 2.5 KB a run).
BOOKKEEPING = 16 << 10


# -- copies near the budget ---------------------------------------------------------


@pytest.fixture(scope="module", params=RUNTIMES)
def session(request: pytest.FixtureRequest) -> LuaSession:
    namespace: dict[str, Any] = {}
    lua_session = LuaSession(request.param, namespace, memory_limit=BUDGET)
    lua_session.run("kept = {1, 2, 3}", "setup")
    return lua_session


@st.composite
def copy_data(draw: Any) -> Any:
    """Data whose Lua copy lies around BUDGET: built from a few drawn parameters."""
    kind = draw(st.sampled_from(["ints", "nested", "strings", "shared", "deep", "hidden-string"]))
    count = draw(st.integers(min_value=0, max_value=400_000))
    if kind == "ints":
        return list(range(count))
    if kind == "nested":
        return [[i, i + 1] for i in range(count // 8)]
    if kind == "strings":
        return {f"key{i}": "v" * (i % 50) for i in range(count // 16)}
    if kind == "shared":
        row = list(range(count // 4))
        return [row] * draw(st.integers(min_value=1, max_value=50))
    if kind == "deep":
        data: Any = list(range(count))
        for _ in range(draw(st.integers(min_value=1, max_value=300))):
            data = [data]
        return data
    data = ["x"] * 1000
    data[draw(st.integers(min_value=0, max_value=999))] = "y" * (count * 16)
    return data


def _used_once_collected(session: LuaSession) -> int:
    """Lua's usage with its garbage collected, by a collection outside any cell: after a
    cell that ends above the warning share, ilupa's report walks the tables *after* the
    cell's own collection, and that walk's garbage is not something the copy kept."""
    session.lua.execute("collectgarbage() collectgarbage()")
    return session.memory.used()


def _copy_fits_or_is_refused(session: LuaSession, copy: Any, data: Any) -> None:
    before = _used_once_collected(session)
    try:
        copy()
    except ilupa.LuaCopyRefused:
        tables = estimate_lua_bytes(data, session.runtime_name).tables
        assert _used_once_collected(session) <= before + SLACK + REGISTRY_SLOT * tables
    except ilupa.CopyError as error:  # nested deeper than a copy can go
        assert "too deeply" in str(error)
    except ilupa.LuaMemoryError:
        # From a cell: the copy fitted, and the cell's next step (binding it to a
        # global) did not; the cell's new globals are dropped, the copy with them.
        assert _used_once_collected(session) <= BUDGET + BOOKKEEPING
    else:
        # Measured once garbage is gone: ilupa's own bookkeeping after the run
        # (budget lifted, see MemoryGuard.budget_switches) may leave garbage, and
        # keep a little; what must fit is the copy and the state around it.
        assert _used_once_collected(session) <= BUDGET + BOOKKEEPING
    assert session.run("copied = nil collectgarbage() return #kept", "check") == (3,)


@FUZZ
@given(data=copy_data())
def test_copies_from_python_fit_or_are_refused(session: LuaSession, data: Any) -> None:
    def copy() -> None:
        session.globals.copied = session.proxy.copy_to_lua(data)

    _copy_fits_or_is_refused(session, copy, data)


@FUZZ
@given(data=copy_data())
def test_copies_from_lua_fit_or_are_refused(session: LuaSession, data: Any) -> None:
    session.namespace["data"] = data

    def copy() -> None:
        try:
            session.run("copied = ilupa.copy(py.data)", "copy")
        except ilupa.LuaRuntimeError as error:  # raised through Lua: its message names it
            if "LuaCopyRefused" in str(error) or "was refused" in str(error):
                raise ilupa.LuaCopyRefused(str(error)) from None
            raise

    try:
        _copy_fits_or_is_refused(session, copy, data)
    finally:
        session.namespace.pop("data", None)


def _copy_in_a_cell(session: LuaSession, data: Any) -> None:
    """`copied = ilupa.copy(py.data)` in a cell; `LuaCopyRefused` when it was refused."""
    session.namespace["data"] = data
    try:
        session.run("copied = ilupa.copy(py.data)", "copy")
    finally:
        session.namespace.pop("data", None)


def test_copies_at_the_budgets_edge_fit_from_lua(session: LuaSession) -> None:
    """The case the fuzzer found (CI, lua51): records copied from a cell, just under the
    budget, ended a few KB past it by the old measure. Every size up to the largest
    that is copied must fit once garbage is collected."""

    def pairs(count: int) -> list[list[int]]:
        return [[i, i + 1] for i in range(count)]

    low, high = 1, BUDGET // 16  # copied, refused (16 bytes is less than any record)
    while high - low > 1:
        middle = (low + high) // 2
        try:
            _copy_in_a_cell(session, pairs(middle))
            low = middle
        except ilupa.LuaMemoryError:  # refused, or the cell could not bind it
            high = middle
        session.run("copied = nil", "drop")
    for count in range(max(1, low - 64), low + 1, 8):
        _copy_fits_or_is_refused(
            session, lambda count=count: _copy_in_a_cell(session, pairs(count)), pairs(count)
        )


# -- sandboxed cells ------------------------------------------------------------------

SANDBOX_ERRORS = (
    SandboxMemoryLimit,
    SandboxInstructionLimit,
    SandboxCopyRefused,
    SandboxOutputLimit,
    LuaError,
)
CELL_TEMPLATES = (
    "local t = {} for i = 1, {n} do t[i] = i end return #t",
    "grow = {} for i = 1, {n} do grow[i] = {i} end",
    "local s = string.rep('x', {n} * 64) return #s",
    "local s = '' for i = 1, {depth} do s = s .. string.rep('y', {n}) end return #s",
    "local function f(n) if n == 0 then return 0 end "
    "return coroutine.wrap(function() return 1 + f(n - 1) end)() end return f({depth})",
    "local function f(s) return (s:gsub('.', f)) end return f(string.rep('a', {depth} % 5 + 1))",
    "local function r(n) if n == 0 then return 0 end "
    "table.sort({2, 1}, function(a, b) r(n - 1) return a < b end) return n end return r({depth})",
    "while true do end",
    "for i = 1, {n} do local s = string.rep('z', 1000 + i) end",
    "error({{}})",
    "return pcall(function() local t = {} for i = 1, {n} do t[i] = tostring(i) end end)",
    "out = {} local s = string.rep('o', 2^16) for i = 1, {depth} do out[i] = s end return #out",
    "hog = {} while true do hog = {hog} end",
)


@pytest.fixture(scope="module", params=("luajit21", "lua54", "lua51"))
def sandbox(request: pytest.FixtureRequest) -> SandboxState:
    state = SandboxState(request.param, BUDGET, 1_000_000)
    state.run("kept = 'sandbox value'", "setup")
    return state


@st.composite
def sandbox_cells(draw: Any) -> str:
    template = draw(st.sampled_from(CELL_TEMPLATES))
    n = draw(st.integers(min_value=0, max_value=600_000))
    depth = draw(st.integers(min_value=0, max_value=400))
    return template.replace("{n}", str(n)).replace("{depth}", str(depth)).replace("{{}}", "{}")


@FUZZ
@given(
    cell=sandbox_cells(),
    inputs=st.integers(min_value=0, max_value=400_000),
    output=st.booleans(),
)
def test_sandboxed_cells_give_a_value_or_a_sandbox_error(
    sandbox: SandboxState, cell: str, inputs: int, output: bool
) -> None:
    try:
        sandbox.set_globals({"given": list(range(inputs))})
        sandbox.run(cell, "cell")
        if output:
            sandbox.get_globals(["grow", "out", "given"])
    except SANDBOX_ERRORS:
        pass
    sandbox.run("grow, out, given, hog = nil, nil, nil, nil collectgarbage()", "free")
    assert sandbox.run("return kept", "check") == ("sandbox value",)
    assert sandbox._used() < BUDGET
