"""Memory growth over 10,000 cells that pass references both ways, per runtime.

Each runtime runs in its own process (resident memory is per process) through
a real IPython shell with `%load_ext ilupa`. The cells rotate through: Python
data read by Lua by reference, Lua tables read by Python, Lua functions called
from Python as callbacks, Python objects holding Lua functions stored in Lua
tables (a chain across the two heaps), the same with the Lua function closing
over the table (a cycle across the two heaps), and failing cells (Lua errors,
Python exceptions through Lua). After a warm-up, resident memory (RSS) and the
Lua heap are sampled every 1,000 cells after a collection in both heaps.

A second run leaves out the cycle cells: neither collector sees a cycle that
crosses the two heaps, so each one stays (the difference between the runs).
What remains grows with ilupa's record of each cell's source, kept for error
reports and inspection as IPython keeps `In`.

Bar: growth under 10 MB. Prints a table, writes benchmarks/results/leaks.json.
`ILUPA_LEAK_CELLS` sets the number of measured cells (default 10,000).
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

from ilupa.memory.watch import resident_bytes
from ilupa.runtimes import available_runtimes

CELLS = int(os.environ.get("ILUPA_LEAK_CELLS", "10000"))
WARM_UP = 1_000
SAMPLE_EVERY = 1_000
BAR_BYTES = 10 * 1024 * 1024
RESULTS = Path(__file__).parent / "results" / "leaks.json"

SETUP = """
class Holder:
    '''A plain Python object that Lua code hangs Lua functions on.'''

def refuse(value):
    raise ValueError(value)
"""

# A cycle: a Lua table holds a Python object that holds a Lua function closing over the table.
CYCLE_CELLS = [
    "%%lua -n\nlocal ring = {holder = py.Holder(), payload = {1, 2, 3}}\n"
    "ring.holder.callback = function() return #ring.payload end\ncycle = ring",
    "assert _ilupa_leak_lua('cycle').holder.callback() == 3",
]
# Failing cells: a Lua error with a table value, a Python exception through Lua.
FAILING_CELLS = [
    "%%lua\nerror({code = 7, rows = py.rows})",
    "%%lua\nlocal n = py.refuse({reason = 'a Python exception through Lua'})",
]
CELLS_IN_TURN = [
    # Python data made in Python, read in Lua by reference.
    "rows = [{'id': i, 'tags': ['a', 'b']} for i in range(50)]",
    "%%lua -i rows -n\nlocal n = 0\nfor _, row in ipairs(rows) do n = n + row.id + #row.tags end\n"
    "total = n",
    # A Lua table read in Python, then a Lua function as a Python callback.
    "%%lua -o made -n\nmade = {}\nfor i = 1, 50 do made[i] = {i, tostring(i)} end",
    "pairs_back = [list(row.values()) for row in made.values()]",
    "double = %lua function(x) return 2 * x end\nassert sorted([3, 1, 2], key=double) == [1, 2, 3]",
    # A chain: a Lua table holds a Python object that holds a Lua function.
    "%%lua -n\nchain = {holder = py.Holder()}\n"
    "chain.holder.callback = function(x) return x + 1 end",
    "assert _ilupa_leak_lua('chain').holder.callback(1) == 2",
    *CYCLE_CELLS,
    *FAILING_CELLS,
]
VARIANTS = {
    "all": CELLS_IN_TURN,
    "no_cycles": [cell for cell in CELLS_IN_TURN if cell not in CYCLE_CELLS],
}


def collected(shell: InteractiveShell) -> tuple[int, int]:
    """RSS and Lua heap bytes after full collections in both heaps."""
    session = shell.magics_manager.registry["LuaMagics"].session
    for _ in range(2):
        gc.collect()
        session.references.release()
    rss = resident_bytes()
    assert rss is not None, "the leaks benchmark reads /proc (Linux)"
    return rss, session.memory.used()


def measure(runtime: str, variant: str) -> dict[str, object]:
    """Run the warm-up and the measured cells on one runtime; samples every SAMPLE_EVERY."""
    cells = VARIANTS[variant]
    config = Config()
    config.HistoryManager.enabled = False
    shell = InteractiveShell.instance(config=config)
    for line in ("%load_ext ilupa", f"%lua_reset {runtime}", SETUP):
        shell.run_cell(line, store_history=False).raise_error()
    shell.user_ns["_ilupa_leak_lua"] = lambda name: shell.run_line_magic("lua", name)
    surprises = 0  # a cell that failed but should not have, or the other way round
    samples: list[dict[str, int]] = []
    with (
        open(os.devnull, "w") as sink,
        contextlib.redirect_stdout(sink),
        contextlib.redirect_stderr(sink),
    ):
        for number in range(WARM_UP + CELLS):
            if number >= WARM_UP and (number - WARM_UP) % SAMPLE_EVERY == 0:
                samples.append(sample(shell, number - WARM_UP))
            cell = cells[number % len(cells)]
            succeeded = shell.run_cell(cell, store_history=False).success
            surprises += succeeded == (cell in FAILING_CELLS)
    samples.append(sample(shell, CELLS))
    first, last = samples[0], samples[-1]
    return {
        "runtime": runtime,
        "variant": variant,
        "cells": CELLS,
        "cycles_made": sum(cells[n % len(cells)] == CYCLE_CELLS[0] for n in range(CELLS)),
        "unexpected_outcomes": surprises,
        "rss_growth_bytes": last["rss_bytes"] - first["rss_bytes"],
        "lua_heap_growth_bytes": last["lua_heap_bytes"] - first["lua_heap_bytes"],
        "samples": samples,
    }


def sample(shell: InteractiveShell, cells_done: int) -> dict[str, int]:
    rss, heap = collected(shell)
    return {"cells": cells_done, "rss_bytes": rss, "lua_heap_bytes": heap}


def megabytes(count: int) -> str:
    return f"{count / 2**20:+.2f}"


def run_worker(runtime: str, variant: str) -> dict[str, object]:
    """One runtime and variant in a fresh process; its last line of output is the JSON."""
    worker = [sys.executable, "-m", "benchmarks.bench_leaks", runtime, variant]
    done = subprocess.run(worker, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.splitlines()[-1])


def main() -> None:
    jobs = [(runtime, variant) for runtime in available_runtimes() for variant in VARIANTS]
    with ThreadPoolExecutor(max_workers=2) as pool:
        rows = list(pool.map(lambda job: run_worker(*job), jobs))
    print(f"{CELLS} cells per runtime; growth after a {WARM_UP}-cell warm-up; bar < 10 MB")
    print(
        f"{'runtime':<10} {'variant':<10} {'cycles':>6} {'RSS MB':>8} {'Lua MB':>8} "
        f"{'unexpected':>10}  RSS every {SAMPLE_EVERY}"
    )
    for row in rows:
        series = " ".join(
            megabytes(s["rss_bytes"] - row["samples"][0]["rss_bytes"]) for s in row["samples"]
        )
        print(
            f"{row['runtime']:<10} {row['variant']:<10} {row['cycles_made']:>6} "
            f"{megabytes(row['rss_growth_bytes']):>8} "
            f"{megabytes(row['lua_heap_growth_bytes']):>8} "
            f"{row['unexpected_outcomes']:>10}  {series}"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    summary = {"cells": CELLS, "warm_up": WARM_UP, "bar_bytes": BAR_BYTES, "results": rows}
    RESULTS.write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    if len(sys.argv) > 1:
        print(json.dumps(measure(sys.argv[1], sys.argv[2])))
    else:
        main()
