"""A runaway cell fails cleanly under the budget on every runtime, warned first."""

from __future__ import annotations

import re

import pytest

from ilupa import LuaMemoryError, LuaRuntimeError, LuaSession
from ilupa.memory.notify import Notice
from ilupa.runtimes import available_runtimes
from ilupa.sandbox import SandboxMemoryLimit
from ilupa.sandbox.state import SandboxState

pytestmark = pytest.mark.slow  # each runtime fills its heap up to the budget

COUNTING_RUNTIMES = [name for name in available_runtimes() if name != "luajit20"]
BUDGET = 96 << 20
RUNAWAY = "big = {}\nfor i = 1, 1e9 do big[#big + 1] = {i} end"


def session_recording(runtime: str, budget: int = BUDGET) -> tuple[LuaSession, list[str]]:
    events: list[str] = []
    session = LuaSession(runtime, {}, memory_limit=budget)

    def record(notice: Notice) -> None:
        events.append(f"{notice.level}: {notice.text}")

    session.memory.notify = record
    return session, events


@pytest.mark.parametrize("runtime", COUNTING_RUNTIMES)
def test_runaway_cell_fails_cleanly_after_a_warning_and_keeps_state(runtime: str) -> None:
    session, events = session_recording(runtime)
    session.run("keep = {1, 2, 3}", "before")
    with pytest.raises(LuaMemoryError) as failure:
        session.run(RUNAWAY, "In[2]")
    events.append("error")
    message = str(failure.value)
    assert "budget of 96.0 MiB" in message
    assert "big:" in message  # the largest table, by its path from _G
    assert "Dropped the globals this cell created: big" in message
    assert events[0].startswith("warning: Lua uses") and "still running" in events[0]
    assert events[-1] == "error"
    assert session.run("return #keep", "after") == (3,)
    assert session.memory.used() < 1 << 20
    with pytest.raises(LuaRuntimeError, match="boom"):  # later errors report as usual
        session.run("error('boom')", "In[3]")


NUMBERS = "numbers = {}\nfor i = 1, 1e9 do numbers[i] = i end"


@pytest.mark.parametrize("runtime", available_runtimes())
def test_array_doubling_past_the_budget_is_warned_before_it_fails(runtime: str) -> None:
    # An array of numbers grows by doubling: from 64 MiB (below the 75% share of
    # 96 MiB) its next resize would need 128 MiB, so usage never crosses the share.
    session, events = session_recording(runtime)
    session.run("keep = 1", "before")
    with pytest.raises(LuaMemoryError, match=r"budget of 96\.0 MiB"):
        session.run(NUMBERS, "In[2]")
    events.append("error")
    assert events[0].startswith("warning: Lua uses") and "still running" in events[0], events
    assert events[-1] == "error"
    assert session.run("return keep", "after") == (1,)


HOLD = "held = {}\nfor i = 1, 3e5 do held[i] = {i} end"


def budget_for_share(runtime: str, share: float) -> int:
    """A budget that `HOLD` fills to `share`, measured on a fresh state."""
    session = LuaSession(runtime, {}, memory_limit=1 << 30)
    session.run(HOLD, "measure")
    return int(session.memory.used() / share)


@pytest.mark.parametrize("runtime", COUNTING_RUNTIMES)
def test_cell_ending_above_the_warning_share_reports_largest_tables(runtime: str) -> None:
    session, events = session_recording(runtime, budget_for_share(runtime, 0.85))
    session.run(HOLD, "In[1]")
    report = [event for event in events if "Largest tables" in event]
    assert report and "held: 300,000 entries" in report[0]


def test_changing_the_budget_applies_to_the_live_state() -> None:
    session, _ = session_recording("lua54", 1 << 30)
    session.memory.set_limit(16 << 20)
    with pytest.raises(LuaMemoryError, match=r"budget of 16\.0 MiB"):
        session.run("local s = {}\nfor i = 1, 1e8 do s[i] = i end", "In[1]")


MANY_GLOBALS = "for i = 1, 3e6 do _G['g' .. i] = i end"


@pytest.mark.parametrize("runtime", [r for r in ("luajit21", "lua54") if r in COUNTING_RUNTIMES])
def test_a_memory_error_names_a_few_dropped_globals_and_counts_the_rest(runtime: str) -> None:
    """Issue 29, item 8: a cell that made millions of globals got a message listing
    every one (9.3 million characters). Ten names, then how many more."""
    session, _ = session_recording(runtime, 32 << 20)
    with pytest.raises(LuaMemoryError) as failure:
        session.run(MANY_GLOBALS, "In[1]")
    message = str(failure.value)
    assert len(message) < 2000
    dropped = re.search(r"created: ((?:g\d+, ){9}g\d+) and ([\d,]+) more\.", message)
    assert dropped is not None, message
    assert int(dropped[2].replace(",", "")) > 100_000
    assert session.run("return g1 == nil", "after") == (True,)


def test_a_sandbox_memory_error_names_a_few_dropped_globals(runtime: str = "lua54") -> None:
    sandbox = SandboxState(runtime, 32 << 20, 10**9)
    with pytest.raises(SandboxMemoryLimit) as failure:
        sandbox.run(MANY_GLOBALS, "In[1]")
    message = str(failure.value)
    assert len(message) < 2000
    assert re.search(r"created: (?:g\d+, ){9}g\d+ and [\d,]+ more\.", message), message
