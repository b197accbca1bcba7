"""Price of `%%lua --profile` on the seed loop: the same cell profiled and not, in one run.

The seed's cell (benchmarks/bench_refs.py: 300k JSON records read from Lua by
reference) runs plain and with `--profile`, in turn, best CPU time of each
(interleaved, so load on the shared machine hits both alike). Bar: profiling
costs at most 10 %. Also the cost of ilupa having a profiler at all: none, since
the profiler's Lua half is loaded only when first asked (a shell that never
profiled has no hook and no timer), so "not profiling" is the plain cell.

Prints a table and writes benchmarks/results/profiler.json.
`python -m benchmarks.bench_profiler lua54` measures some runtimes only;
ILUPA_BENCH_QUICK=1 uses fewer records.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
from pathlib import Path

from benchmarks.bench_refs import (
    COLLECT_CELL,
    SEED_CELL,
    Timed,
    best,
    make_records,
    make_shell,
    print_table,
    row,
    run_cell,
)

RESULTS = Path(__file__).parent / "results" / "profiler.json"
BAR = 1.10
REPEATS = 7
RUNTIMES = ("lua54", "luajit21")


def profiled(cell: str) -> str:
    """The same cell with `--profile` on its magic line."""
    first, _, rest = cell.partition("\n")
    return f"{first} --profile\n{rest}"


def quiet(shell: object, cell: str) -> None:
    """Run a cell with its printed report swallowed (printing is not what is measured)."""
    with contextlib.redirect_stdout(io.StringIO()):
        run_cell(shell, cell)


def measure(runtime: str, records: int) -> list[dict]:
    shell = make_shell(runtime)
    shell.user_ns["recs"] = make_records(records)
    collect = lambda: quiet(shell, COLLECT_CELL)  # noqa: E731
    times = best(
        {
            "plain": Timed(lambda: quiet(shell, SEED_CELL), collect),
            "profiled": Timed(lambda: quiet(shell, profiled(SEED_CELL)), collect),
        },
        repeat=REPEATS,
    )
    ratio = times["profiled"] / times["plain"]
    return [
        row("seed loop, plain, s", runtime, times["plain"], "-", None),
        row("seed loop, --profile, s", runtime, times["profiled"], "-", None),
        row("seed loop, --profile / plain", runtime, ratio, f"<= {BAR}", ratio <= BAR),
    ]


def main(argv: list[str]) -> int:
    from ilupa.runtimes import available_runtimes

    quick = os.environ.get("ILUPA_BENCH_QUICK", "") not in ("", "0")
    records = 20_000 if quick else 300_000
    chosen = [r for r in (argv or RUNTIMES) if r in available_runtimes()]
    rows: list[dict] = []
    for runtime in chosen:
        print(f"measuring {runtime} ...", flush=True)
        rows += measure(runtime, records)
        from IPython.core.interactiveshell import InteractiveShell

        InteractiveShell.clear_instance()
    print_table(rows)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"records": records, "rows": rows}, indent=2))
    print(f"wrote {RESULTS}")
    return 0 if all(r["pass"] is not False for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
