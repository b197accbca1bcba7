"""The seed's failure, for real, on LuaJIT 2.0: warned first, stopped below the heap, then live.

LuaJIT 2.0 cannot take a lupa budget, and it aborts the process when
JIT-compiled code fills its fixed heap. ilupa's heap guard (loop checks
comparing the heap with a guard line) stops the cell first. The full-size
runs build close to 1 GiB (the seed's 134M-number table, and the small tables
that used to abort the process) and need about 1.5 GB of RAM and a few seconds.
"""

from __future__ import annotations

import pytest

from ilupa import LuaMemoryError, LuaSession
from ilupa.memory.budget import format_bytes
from ilupa.memory.loop_sampling import HEADROOM, reachable_heap
from ilupa.memory.notify import Notice
from ilupa.runtimes import available_runtimes

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        "luajit20" not in available_runtimes(), reason="lupa has no luajit20 build here"
    ),
]

SEED_NUMBERS = "big = {}\nfor i = 1, 1e9 do big[i] = i end"
SMALL_TABLES = "big = {}\nfor i = 1, 1e9 do big[#big + 1] = {i} end"


def session_recording(limit: int | None = None) -> tuple[LuaSession, list[str]]:
    events: list[str] = []
    session = LuaSession("luajit20", {}, memory_limit=limit)

    def record(notice: Notice) -> None:
        events.append(f"{notice.level}: {notice.text}")

    session.memory.notify = record
    return session, events


@pytest.mark.parametrize("cell", [SEED_NUMBERS, SMALL_TABLES], ids=["numbers", "small-tables"])
def test_luajit20_near_its_heap_warns_then_fails_then_keeps_working(cell: str) -> None:
    session, events = session_recording()
    session.run("keep = {1, 2, 3}", "before")
    with pytest.raises(LuaMemoryError) as failure:
        session.run(cell, "In[2]")
    events.append("error")
    assert "luajit20 heap guard line" in events[0] and "still running" in events[0]
    assert events[-1] == "error"
    message = str(failure.value)
    assert f"guard line of {format_bytes(session.memory.effective_limit)}" in message
    assert "luajit20's fixed 1.0 GiB heap" in message
    assert "Dropped the globals this cell created: big" in message
    assert session.run("return #keep", "after") == (3,)
    assert session.run("local t = {} for i = 1, 1e6 do t[i] = i end return #t", "more") == (
        1_000_000,
    )


def test_guard_line_leaves_headroom_below_the_heap_the_state_can_reach() -> None:
    session, _ = session_recording()
    session.run("x = 1", "In[1]")
    reachable = reachable_heap(session.memory.used(), 1 << 30)
    assert 0 < session.memory.effective_limit <= reachable - HEADROOM + (1 << 20)
    assert session.memory.effective_limit <= (1 << 30) - HEADROOM


def test_budget_is_enforced_on_luajit20_through_the_loop_checks() -> None:
    session, events = session_recording(48 << 20)
    session.run("keep = 'kept'", "before")
    with pytest.raises(LuaMemoryError, match=r"budget of 48\.0 MiB"):
        session.run(SMALL_TABLES, "In[2]")
    assert events and "still running" in events[0]
    assert session.run("return keep", "after") == ("kept",)
    assert session.memory.used() < 1 << 20


def test_a_runaway_that_catches_the_guard_error_is_stopped_again() -> None:
    session, _ = session_recording(48 << 20)
    cell = """big = {}
local function grow() for i = 1, 1e9 do big[#big + 1] = {i} end end
print(pcall(grow))
grow()"""
    with pytest.raises(LuaMemoryError, match=r"budget of 48\.0 MiB"):
        session.run(cell, "In[1]")
