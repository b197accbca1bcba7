"""Out of memory on every runtime, under a small `LuaMagics.memory_limit`."""

from __future__ import annotations

from dataclasses import replace

from ilupa.runtimes import available_runtimes
from tests.fault_corpus import Entry, Group, fails, gives, raw

LIMIT = raw("small-budget", "%config LuaMagics.memory_limit = '48MB'")
OUT_OF_MEMORY = "LuaMemoryError"

ENTRIES = (
    fails("array-of-numbers", "local t = {}\nfor i = 1, 1e8 do t[i] = i end", OUT_OF_MEMORY),
    fails("array-of-tables", "local t = {}\nfor i = 1, 1e8 do t[i] = {i} end", OUT_OF_MEMORY),
    fails("string-rep", "local s = string.rep('x', 2^28)", OUT_OF_MEMORY),
    fails("doubling-concat", "local s = 'x'\nfor i = 1, 40 do s = s .. s end", OUT_OF_MEMORY),
    fails(
        "global-table-dropped",
        "runaway = {}\nfor i = 1, 1e8 do runaway[#runaway + 1] = tostring(i) end",
        OUT_OF_MEMORY,
    ),
    gives("global-of-failed-cell-is-gone", "return runaway == nil", "True"),
    fails("hash-part", "local t = {}\nfor i = 1, 1e8 do t['k' .. i] = true end", OUT_OF_MEMORY),
    fails(
        "table-concat",
        "local t = {}\nfor i = 1, 1e8 do t[i] = 'abcdefgh' end\nreturn table.concat(t)",
        OUT_OF_MEMORY,
    ),
    gives(
        "pcall-does-not-hide-it", "local ok, e = pcall(string.rep, 'x', 2^28)\nreturn ok", "False"
    ),
    gives("works-again-after", "local t = {}\nfor i = 1, 1000 do t[i] = i end\nreturn #t", "1000"),
)

# LuaJIT 2.0 has no settable budget (its ~1 GiB heap is the ceiling) and a
# JIT-compiled loop that fills it aborts the process (README, "Memory").
BUDGET_RUNTIMES = [name for name in available_runtimes() if name != "luajit20"]

# README "Memory": on luajit21 a runaway cell under the kernel's loop-check rewrite
# aborts the process (PANIC) when the allocation that fails is a small table.
LUAJIT21_PANICS = {"array-of-tables", "global-table-dropped"}
PANIC = "luajit21 + loop-check rewrite: a failing small-table allocation PANICs the kernel"


def entries_for(runtime: str) -> tuple[Entry, ...]:
    if runtime != "luajit21":
        return ENTRIES
    return tuple(replace(e, xfail=PANIC) if e.name in LUAJIT21_PANICS else e for e in ENTRIES)


GROUPS = tuple(
    Group(
        f"memory-{runtime}",
        entries_for(runtime),
        kernels=("ilupa",),
        runtime=runtime,
        setup=(LIMIT,),
    )
    for runtime in BUDGET_RUNTIMES
)
