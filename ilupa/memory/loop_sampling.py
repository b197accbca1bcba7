"""What the loop checks do for memory on LuaJIT: sample it, and guard LuaJIT 2.0's heap.

LuaJIT runs hot loops as compiled traces, where neither hooks nor other
threads see much. The interrupt checks that open every loop body of a cell
(source/loop_checks.py) call back about every millisecond of a loop, at most every
LOOP_CHECK_COUNT passes (interrupt/guard.py), to:

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
from typing import Any

from ilupa.lua_layer import load_lua_file

HEADROOM = 128 << 20
SAMPLE_STEP = 1 << 20  # heap growth between two samples that loop checks send to Python
# LuaJIT 2.0 on x86-64 Linux maps its heap with MAP_32BIT, which the kernel
# places in this 1 GiB window. Every LuaJIT 2.0 state of the process shares it.
LOW_WINDOW = (1 << 30, 2 << 30)
MARK = "ilupa heap guard: Lua's heap passed its guard line"


def guard_line(limit: int, ceiling: int) -> int:
    """The heap size at which a cell is stopped: the budget, or the ceiling less headroom."""
    return min(limit, ceiling - HEADROOM)


def reachable_heap(used: int, ceiling: int) -> int:
    """The heap this state can still reach: its own `used` plus the window's free space.

    Other LuaJIT 2.0 states in the process (and other users of the window)
    take from the same 1 GiB, so the fixed ceiling overstates it in a busy
    process. Read from /proc/self/maps; `ceiling` where that cannot be read.
    """
    try:
        with open("/proc/self/maps", encoding="ascii") as maps:
            lines = maps.read().splitlines()
    except OSError:
        return ceiling
    start, end = LOW_WINDOW
    taken = 0
    for line in lines:
        low, high = (int(part, 16) for part in line.split(maxsplit=1)[0].split("-"))
        taken += max(0, min(high, end) - max(low, start))
    return min(ceiling, used + (end - start) - taken)


def stopped_by_heap_guard(error: BaseException) -> bool:
    """True for the error the heap guard raises (also when Lua code re-raised it)."""
    return MARK in str(error)


class LoopSampling:
    """The memory side of one LuaJIT state's loop checks; `line` None means no heap guard."""

    def __init__(
        self,
        lua: Any,
        sample: Callable[..., None],
        line: int | None,
        every_loop_count: Callable[[Any], None],
    ) -> None:
        sampling = load_lua_file(
            lua,
            "loop_sampling",
            sample=sample,
            line_kib=_kib(line),
            message=MARK,
            step_kib=SAMPLE_STEP / 1024,
        )
        self._set_line = sampling.set_line
        every_loop_count(sampling.watch_memory)

    def set_line(self, line: int | None) -> None:
        self._set_line(_kib(line))


def _kib(line: int | None) -> float | None:
    return None if line is None else line / 1024
