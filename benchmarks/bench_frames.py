"""Data frames both ways, as a user meets them in `%%lua` cells: issue 28's rows.

200k rows. Each row is timed through a real IPython shell (`%%lua` cells run by
`run_cell`) against its baseline in the same run: Python's own loop over the
column, plain lupa's loop over the same ndarray, pandas building the frame from
Python's own list of dicts. Best of three. Prints a table (ratio = ilupa /
baseline) and writes benchmarks/results/frames.json.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

from ilupa.runtimes import available_runtimes, load_runtime_module

ROWS = 200_000
ROUNDS = 3
RESULTS = Path(__file__).parent / "results" / "frames.json"

NUMBER_LOOP = "local s = 0 for i = 0, #c - 1 do s = s + c[i] end"
TEXT_LOOP = "local n = 0 for i = 0, #c - 1 do n = n + #c[i] end"
RECORDS = (
    f"recs = {{}} for i = 1, {ROWS} do"
    " recs[i] = {id = i, name = 'n' .. (i % 100), score = i / 3} end"
)


def best_of(run: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(ROUNDS):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def python_sum(column: pd.Series) -> float:
    total = 0.0
    for value in column:
        total += value
    return total


def python_lengths(column: pd.Series) -> int:
    total = 0
    for value in column:
        total += len(value)
    return total


def main() -> None:
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    shell = InteractiveShell.instance(config=config)
    shell.run_cell("%load_ext ilupa")
    df = pd.DataFrame(
        {
            "x": np.random.default_rng(1).random(ROWS),
            "name": pd.array([f"name{i % 1000}" for i in range(ROWS)], dtype="str"),
        }
    )
    shell.user_ns["df"] = df
    shell.user_ns["objects"] = df.name.astype(object)
    values = df.x.to_numpy()
    written = np.zeros(ROWS)
    shell.user_ns["written"] = written
    records = [{"id": i, "name": f"n{i % 100}", "score": i / 3} for i in range(1, ROWS + 1)]

    def cell(code: str) -> Callable[[], object]:
        def run() -> None:
            result = shell.run_cell(code)
            if not result.success:
                raise RuntimeError(f"benchmark cell failed: {code}")

        return run

    rows = []
    for runtime in [r for r in ("luajit21", "lua54", "lua51") if r in available_runtimes()]:
        shell.run_cell(f"%lua_reset {runtime}")
        plain = load_runtime_module(runtime).LuaRuntime()
        plain_loop = plain.eval(
            "function(c, n) local s = 0 for i = 0, n - 1 do s = s + c[i] end return s end"
        )
        plain_write = plain.eval("function(c, n) for i = 0, n - 1 do c[i] = i end end")
        plain.execute(RECORDS)
        plain_records = plain.globals().recs
        shell.run_cell("%lua " + RECORDS)
        measured = [
            (
                "float column: ilupa.column(df.x), c[i] loop",
                cell(f"%%lua\nlocal c = ilupa.column(py.df.x) {NUMBER_LOOP}"),
                "Python `for v in df.x`",
                lambda: python_sum(df.x),
            ),
            (
                "array view over df.x.to_numpy(), c[i] loop",
                cell(f"%%lua\nlocal c = py.df.x:to_numpy() {NUMBER_LOOP}"),
                "plain lupa, same loop over the ndarray",
                lambda loop=plain_loop: loop(values, ROWS),
            ),
            (
                "array view write, c[i] = i loop",
                cell("%%lua\nlocal c = py.written for i = 0, #c - 1 do c[i] = i end"),
                "plain lupa, same loop over the ndarray",
                lambda write=plain_write: write(written, ROWS),
            ),
            (
                "ipairs(df.x)",
                cell("%%lua\nlocal s = 0 for _, v in ipairs(py.df.x) do s = s + v end"),
                "Python `for v in df.x`",
                lambda: python_sum(df.x),
            ),
            (
                "Arrow str column: ilupa.column(df.name), #c[i] loop",
                cell(f"%%lua\nlocal c = ilupa.column(py.df.name) {TEXT_LOOP}"),
                "Python `for v in df.name`",
                lambda: python_lengths(df.name),
            ),
            (
                "object str column: ilupa.column(objects), #c[i] loop",
                cell(f"%%lua\nlocal c = ilupa.column(py.objects) {TEXT_LOOP}"),
                "Python `for v in objects`",
                lambda: python_lengths(shell.user_ns["objects"]),
            ),
            (
                "200k records to Python: ilupa.topython(recs)",
                cell("%%lua\npy.records_back = ilupa.topython(recs)"),
                "plain lupa, [dict(v.items()) for v in t.values()]",
                lambda records=plain_records: [dict(v.items()) for v in records.values()],
            ),
            (
                "200k records to a DataFrame: ilupa.frame(recs)",
                cell("%%lua\npy.frame = ilupa.frame(recs)"),
                "pd.DataFrame(list of dicts) in Python",
                lambda: pd.DataFrame(records),
            ),
        ]
        for name, ours, baseline_name, baseline in measured:
            ours_s, base_s = best_of(ours), best_of(baseline)
            rows.append(
                {
                    "runtime": runtime,
                    "cell": name,
                    "ilupa_s": round(ours_s, 4),
                    "baseline": baseline_name,
                    "baseline_s": round(base_s, 4),
                    "ratio": round(ours_s / base_s, 2),
                }
            )
    width = max(len(row["cell"]) for row in rows)
    print(f"{'runtime':9} {'cell':{width}} {'ilupa s':>8} {'base s':>8} {'ratio':>6}  baseline")
    for row in rows:
        print(
            f"{row['runtime']:9} {row['cell']:{width}} {row['ilupa_s']:8.4f} "
            f"{row['baseline_s']:8.4f} {row['ratio']:6.2f}  {row['baseline']}"
        )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"rows": ROWS, "results": rows}, indent=2))
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
