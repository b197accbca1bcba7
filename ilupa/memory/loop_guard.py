"""What the loop checks do for memory on LuaJIT: sample it, and guard LuaJIT 2.0's heap.

LuaJIT runs hot loops as compiled traces, where neither hooks nor other
threads see much. The interrupt checks that open every loop body of a cell
(loop_checks.py) are wrapped so that every `CHECK_EVERY` passes they also:

- call Python to sample Lua's memory, so the in-cell warning keeps up with
  loops that fill an array faster than the watcher thread polls;
- on LuaJIT 2.0, stand in for the budget lupa cannot set there. LuaJIT 2.0
  aborts the process ("PANIC: unprotected error in call to Lua API (not
  enough memory)") when JIT-compiled code runs out of heap, even inside
  `pcall`. So the checks compare Lua's heap with a guard line and raise an
  error past it, which the session reports as a memory error. The line is
  the budget, kept at least `HEADROOM` below the fixed ceiling so that the
  passes between two checks still fit.
"""

from __future__ import annotations

from collections.abc import Callable
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


class LoopGuard:
    """The memory side of one LuaJIT state's loop checks; `line` None means no heap guard."""

    def __init__(self, lua: Any, sample: Callable[..., None], line: int | None) -> None:
        source = resources.files("ilupa.lua").joinpath("loop_guard.lua").read_text("utf-8")
        self._set_line = lua.execute(
            source, CHECK_EVERY, sample, _kib(line), MARK, name="=ilupa:loop_guard"
        )

    def set_line(self, line: int | None) -> None:
        self._set_line(_kib(line))


def _kib(line: int | None) -> float | None:
    return None if line is None else line / 1024
