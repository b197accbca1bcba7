"""LuaJIT 2.0's stand-in for a budget: loop checks that stop a cell below its heap ceiling.

lupa cannot give LuaJIT 2.0 a `max_memory`, and LuaJIT 2.0 aborts the process
("PANIC: unprotected error in call to Lua API (not enough memory)") when
JIT-compiled code runs out of heap, even inside `pcall`. So ilupa stops a cell
itself, before the heap is full: the interrupt checks that open every loop
body of a cell (loop_checks.py) also compare Lua's heap with a guard line
every few thousand passes, and raise an error past it, which the session
reports as a memory error. The line is the budget, kept at least `HEADROOM`
below the ceiling so that the passes between two checks still fit.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

HEADROOM = 128 << 20
CHECK_EVERY = 10_000
MARK = "ilupa heap guard: Lua's heap passed its guard line"


def guard_line(limit: int, ceiling: int) -> int:
    """The heap size at which a cell is stopped: the budget, or the ceiling less headroom."""
    return min(limit, ceiling - HEADROOM)


def stopped_by_heap_guard(error: BaseException) -> bool:
    """True for the error the heap guard raises (also when Lua code re-raised it)."""
    return MARK in str(error)


class HeapGuard:
    """The guard line of one LuaJIT 2.0 state, installed around its loop checks."""

    def __init__(self, lua: Any, line: int) -> None:
        source = resources.files("ilupa.lua").joinpath("heap_guard.lua").read_text("utf-8")
        self._set_line = lua.execute(
            source, CHECK_EVERY, line / 1024, MARK, name="=ilupa:heap_guard"
        )

    def set_line(self, line: int) -> None:
        self._set_line(line / 1024)
