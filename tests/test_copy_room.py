"""Copies into Lua fit or are refused with Lua unchanged; `%%lua -c` copies like `ilupa.copy`."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from IPython.core.interactiveshell import InteractiveShell

import ilupa
from ilupa.memory.estimate import estimate_lua_bytes
from ilupa.session import LuaSession
from tests.conftest import RUNTIMES, lua_magics, run


def _lua(shell: InteractiveShell, cell: str) -> object:
    result = run(shell, cell)
    result.raise_error()
    return result.result


def _strings_hiding_a_big_one() -> list[str]:
    hidden = ["x"] * 1000
    hidden[1] = "y" * 80_000_000
    return hidden


def _records_hiding_a_big_one() -> list[dict[str, object]]:
    # plain records: copied a chunk at a time (lupa's recursive table_from), the
    # budget checked after each chunk
    records: list[dict[str, object]] = [{"name": "x", "n": i} for i in range(3000)]
    records[2500]["name"] = "y" * 80_000_000
    return records


@pytest.mark.parametrize(
    "make", [_strings_hiding_a_big_one, _records_hiding_a_big_one], ids=["strings", "records"]
)
def test_a_copy_the_estimate_misjudged_is_refused_by_the_copy_itself(
    runtime_shell: InteractiveShell, make: Any
) -> None:
    shell = runtime_shell
    run(shell, "%config LuaMagics.memory_limit = '64MB'").raise_error()
    # The big string sits where the estimate's sample does not look.
    shell.user_ns["hidden"] = hidden = make()
    runtime = lua_magics(shell).session.runtime_name
    assert estimate_lua_bytes(hidden, runtime).bytes < 8 << 20
    _lua(shell, "%lua kept = {1, 2, 3}")
    memory = lua_magics(shell).session.memory
    before = memory.used()
    result = run(shell, "%%lua -c hidden\nreturn #hidden")
    assert isinstance(result.error_in_exec, ilupa.LuaCopyRefused)
    assert "while it was made" in str(result.error_in_exec)
    result = run(shell, "%lua return #ilupa.copy(py.hidden)")
    assert isinstance(result.error_in_exec, ilupa.LuaCopyRefused)
    assert memory.used() < before + (1 << 20)
    assert _lua(shell, "%lua return hidden == nil and #kept == 3") is True


@pytest.mark.parametrize(
    "cell", ["%%lua -c numbers\nreturn #numbers", "%lua return #ilupa.copy(py.numbers)"]
)
def test_a_copy_is_not_refused_for_tables_already_dropped(
    runtime_shell: InteractiveShell, cell: str
) -> None:
    """Copying again after `t = nil`: the dropped copy is garbage, and Lua's usage
    counted it, so the estimate refused the new one ("Lua would use 60 MiB of its
    64 MiB budget (now 30 MiB)"). The copy collects once before it refuses."""
    shell = runtime_shell
    shell.user_ns["numbers"] = numbers = list(range(2_000_000))
    memory = lua_magics(shell).session.memory
    estimate = estimate_lua_bytes(numbers, memory.runtime).bytes
    run(
        shell, f"%config LuaMagics.memory_limit = {memory.used() + estimate * 3 // 2}"
    ).raise_error()
    assert _lua(shell, "%lua kept = ilupa.copy(py.numbers) return #kept") == len(numbers)
    # the copy is garbage now; the collector is stopped so that it stays there
    _lua(shell, "%lua kept = nil collectgarbage('stop')")
    try:
        assert memory.used() + estimate > memory.effective_limit  # counted, it would not fit
        assert _lua(shell, cell) == len(numbers)
    finally:
        _lua(shell, "%lua collectgarbage('restart')")


def test_data_nested_deeper_than_any_fixed_depth_is_estimated(runtime_shell) -> None:
    deep: list = [list(range(1_000_000))]
    for _ in range(200):
        deep = [deep]
    runtime = lua_magics(runtime_shell).session.runtime_name
    assert estimate_lua_bytes(deep, runtime).bytes >= 8 * 1_000_000


def test_shared_data_is_estimated_once() -> None:
    row = list(range(100_000))
    once = estimate_lua_bytes(row, "lua54").bytes
    assert estimate_lua_bytes([row] * 50, "lua54").bytes < 2 * once


def test_copy_magic_keeps_shared_references_and_copies_nested_arrays_as_numbers(
    runtime_shell: InteractiveShell,
) -> None:
    shell = runtime_shell
    shared = {"k": 1}
    shell.user_ns["data"] = {"a": shared, "b": shared, "grid": np.arange(6).reshape(2, 3)}
    assert _lua(shell, "%%lua -c data\nreturn rawequal(data.a, data.b)") is True
    assert _lua(shell, "%lua return type(data.grid[2][3]), data.grid[2][3]") == ("number", 5)


def test_line_magic_takes_copies(shell: InteractiveShell) -> None:
    shell.user_ns["pair"] = [[1], [2, 3]]
    assert _lua(shell, "%lua -c pair #pair[2]") == 2
    assert _lua(shell, "%lua type(pair)") == "table"


def test_copies_named_together_share_what_they_share(shell: InteractiveShell) -> None:
    shell.user_ns["a"] = common = [1, 2]
    shell.user_ns["b"] = {"x": common}
    assert _lua(shell, "%%lua -c a,b\nreturn rawequal(a, b.x)") is True


def test_every_copy_refusal_is_a_copy_error(session) -> None:
    assert issubclass(ilupa.LuaCopyRefused, ilupa.CopyError)
    with pytest.raises(ilupa.CopyError):
        session.proxy.copy_to_lua({None: 1})
    with pytest.raises(ilupa.CopyError):
        session.proxy.array_from_table(session.run("return {1, 'x'}", "c")[0])


@pytest.mark.parametrize("runtime", [name for name in RUNTIMES if name != "luajit20"])
def test_the_rest_of_a_cell_after_a_copy_is_held_to_the_budget(runtime: str) -> None:
    """A copy mid-cell lifts the budget while lupa builds the tables; afterwards the
    budget came back as a new run's (1 MiB of room past what Lua used), so a cell that
    copied to just under its budget could then go 1 MiB past it. Now the budget holds."""
    budget = 8 << 20
    namespace: dict[str, Any] = {}
    session = LuaSession(runtime, namespace, memory_limit=budget)
    session.run("kept = 1", "setup")
    start = session.memory.used()
    # a copy (a list holding one big string) that leaves about 150 KB of the budget
    namespace["data"] = ["x" * (budget - start - (150 << 10))]
    session.run("copied = ilupa.copy(py.data)", "measure")
    room = budget - session.memory.used()
    assert 0 < room < 1 << 20  # within the old room, or the test shows nothing
    session.run("copied = nil collectgarbage() collectgarbage()", "drop")
    settled = session.memory.used()  # with the registry slots the copy's tables took
    namespace["extra"] = room + (100 << 10)  # then a string 100 KB past the budget
    with pytest.raises(ilupa.LuaMemoryError):
        session.run("copied = ilupa.copy(py.data) big = string.rep('x', py.extra)", "cell")
    session.lua.execute("collectgarbage() collectgarbage()")
    assert session.memory.used() < settled + (64 << 10)  # the cell's globals were dropped
    assert session.run("return copied == nil and big == nil and kept == 1", "after") == (True,)
