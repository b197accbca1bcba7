"""Copies into Lua are estimated first, and refused when they would not fit."""

from __future__ import annotations

import pytest

from ilupa import LuaSession
from ilupa.memory import LuaCopyRefused, check_copy_fits, estimate_lua_bytes
from ilupa.runtimes import available_runtimes

pytestmark = pytest.mark.slow

COUNTING_RUNTIMES = [name for name in available_runtimes() if name != "luajit20"]


@pytest.mark.parametrize("runtime", COUNTING_RUNTIMES)
def test_estimate_is_within_a_third_of_the_real_copy(runtime: str) -> None:
    rows = [{"id": i, "name": f"row{i}", "tags": [i, i + 1]} for i in range(50_000)]
    session = LuaSession(runtime, {}, memory_limit=1 << 30)
    before = session.memory.used()
    session.globals["rows"] = session.lua.table_from(rows, recursive=True)
    actual = session.memory.used() - before
    estimated = estimate_lua_bytes(rows, runtime).bytes
    assert 0.67 < estimated / actual < 1.5, (estimated, actual)


def test_estimating_ten_million_items_is_quick_by_sampling() -> None:
    import time

    numbers = list(range(10_000_000))
    start = time.perf_counter()
    estimate = estimate_lua_bytes(numbers, "lua54")
    assert time.perf_counter() - start < 0.1
    assert estimate.bytes >= 10_000_000 * 16


def test_copy_past_the_budget_is_refused_with_size_limit_and_alternative() -> None:
    with pytest.raises(LuaCopyRefused) as refused:
        check_copy_fits(list(range(1_000_000)), "lua54", 0, 1 << 20, 0.75, "big")
    message = str(refused.value)
    assert "big" in message and "budget" in message and "1.0 MiB" in message
    assert "by reference" in message


def test_copy_past_a_runtime_table_cap_is_refused_even_within_budget() -> None:
    with pytest.raises(LuaCopyRefused, match="201,326,592-entry table limit"):
        check_copy_fits(range(300_000_000), "luajit21", 0, 1 << 50, 0.75)


def test_copy_past_the_warning_share_warns_and_goes_on() -> None:
    verdict = check_copy_fits(list(range(30_000)), "lua54", 0, 1 << 20, 0.5)
    assert verdict.warning is not None and "over 50%" in verdict.warning


@pytest.mark.parametrize("runtime", COUNTING_RUNTIMES)
def test_refused_copy_leaves_lua_unchanged(runtime: str) -> None:
    session = LuaSession(runtime, {}, memory_limit=8 << 20)
    session.run("keep = 1", "setup")
    before = session.memory.used()
    with pytest.raises(LuaCopyRefused):
        session.memory.copy_to_lua(list(range(2_000_000)), "numbers")
    assert session.memory.used() <= before + 1024
    assert session.run("return keep", "check") == (1,)


COPY_PATHS = {
    "fb.python eval": "py = require 'fb.python'\nx = py.eval('numbers')",
    "ilupa.copy": "x = ilupa.copy(py.numbers)",
    "ilupa.totable": "x = ilupa.totable(py.array)",
}


@pytest.mark.parametrize("runtime", COUNTING_RUNTIMES)
@pytest.mark.parametrize("path", COPY_PATHS)
def test_copies_made_from_lua_are_estimated_and_refused(runtime: str, path: str) -> None:
    import numpy as np

    namespace = {"numbers": list(range(2_000_000)), "array": np.arange(2_000_000.0)}
    session = LuaSession(runtime, namespace, memory_limit=8 << 20)
    session.run("keep = 1", "setup")
    before = session.memory.used()
    with pytest.raises(LuaCopyRefused, match="budget"):
        session.run(COPY_PATHS[path], "In[1]")
    assert session.memory.used() <= before + (256 << 10)
    assert session.run("return keep, x", "check") == (1, None)
