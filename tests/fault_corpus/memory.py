"""Out of memory on every runtime, under a small `LuaMagics.memory_limit`."""

from __future__ import annotations

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
    # the message listed every dropped global: 9.3 million characters for this cell
    fails(
        "millions-of-globals-named-briefly",
        "for i = 1, 3e6 do _G['g' .. i] = i end",
        " more.\nGarbage collected",
    ),
    gives("works-again-after", "local t = {}\nfor i = 1, 1000 do t[i] = i end\nreturn #t", "1000"),
)

# LuaJIT 2.0 has no budget lupa can set: the loop checks stand in for it
# (docs/memory.md, "LuaJIT 2.0"). They see the heap between loop passes, so one
# allocation that fits the fixed 1 GiB heap is not refused there: a defined result.
LUAJIT20_ENTRIES = {
    "string-rep": gives(
        "string-rep-within-fixed-heap", "local s = string.rep('x', 2^28)\nreturn #s", "268435456"
    ),
    "pcall-does-not-hide-it": gives(
        "pcall-sees-the-heap-guard",
        "local ok = pcall(function() local t = {} for i = 1, 1e8 do t[i] = {i} end end)\nreturn ok",
        "False",
    ),
}


def entries_for(runtime: str) -> tuple[Entry, ...]:
    if runtime != "luajit20":
        return ENTRIES
    return tuple(LUAJIT20_ENTRIES.get(e.name, e) for e in ENTRIES)


GROUPS = tuple(
    Group(
        f"memory-{runtime}",
        entries_for(runtime),
        kernels=("ilupa",),
        runtime=runtime,
        setup=(LIMIT,),
    )
    for runtime in available_runtimes()
)
