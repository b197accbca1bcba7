"""References benchmark (issue 12): Lua walking Python data, against Python and plain lupa.

The seed's workload: JSON records `{id, name, score, tags}` made by
`json.loads` in Python and passed by reference with `%%lua -i recs` in a real
IPython shell with `%load_ext ilupa`, as a user meets it (the cell's loops
carry ilupa's loop checks). A Lua loop reads `r.id`, `r.score`, `#r.tags` and
tests `r.name:sub(1, 1) == "a"`, summing; Python's own loop does the same in
the same run. Each runtime runs in its own subprocess, so no state is shared.

Baselines, exactly:
- Python's own loop: `for r in recs: s = s + r["id"] + r["score"] + len(r["tags"])`,
  plus 1 when `r["name"][:1] == "a"`.
- Plain lupa: `lupa.<runtime>.LuaRuntime()` with its defaults (item access for
  the dicts and lists, str converted to Lua strings). Plain lupa has no `#` on
  Python objects, so the record count `n` is passed in from Python and
  `#r.tags` is `len(r.tags)` with `local len = python.builtins.len` hoisted.
- Copies: the cell `%%lua -c recs` (ilupa's estimate, then its copy) against
  `LuaRuntime().table_from(recs, recursive=True)` in plain lupa.
- Float list: `s = s + xs[i]` over a Python list of floats, against Python's
  `for x in xs: s = s + x`.
- Per-access figures (ns): a cell loop doing one access per iteration, minus the
  same loop with no access, divided by the iterations; for ilupa and plain lupa.

Every figure is the best of 3 rounds of CPU time (process time: this machine
is shared), rounds taking each side of a ratio in turn, and a ratio against a
baseline of the same run.
Quick mode (`--quick` or ILUPA_BENCH_QUICK=1) uses fewer records, as a smoke test.
Writes benchmarks/results/refs.json (or `--output PATH`).
"""

from __future__ import annotations

import argparse
import atexit
import importlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results" / "refs.json"
QUICK_ENV_VAR = "ILUPA_BENCH_QUICK"
REPEAT = 3
LUAJIT = ("luajit20", "luajit21")


class Sizes:
    """How much data each part of the benchmark walks."""

    def __init__(self, quick: bool) -> None:
        self.records = 5_000 if quick else 200_000
        self.floats = 20_000 if quick else 1_000_000
        self.accesses = 5_000 if quick else 300_000


def make_records(count: int) -> list[dict[str, Any]]:
    """The seed's records, parsed from JSON text as a user's data would be."""
    names = ("alice", "bob", "anna", "carl", "ada", "dora")
    records = [
        {
            "id": i,
            "name": f"{names[i % len(names)]}{i}",
            "score": (i % 97) / 97.0,
            "tags": [f"t{j}" for j in range(i % 4)],
        }
        for i in range(count)
    ]
    return json.loads(json.dumps(records))


def python_seed_loop(recs: list[dict[str, Any]]) -> float:
    s = 0
    for r in recs:
        s = s + r["id"] + r["score"] + len(r["tags"])
        if r["name"][:1] == "a":
            s = s + 1
    return s


def python_float_loop(xs: list[float]) -> float:
    s = 0
    for x in xs:
        s = s + x
    return s


SEED_CELL = """%%lua -i recs -o total
local s = 0
for i = 0, #recs - 1 do
  local r = recs[i]
  s = s + r.id + r.score + #r.tags
  if r.name:sub(1, 1) == "a" then s = s + 1 end
end
total = s"""

PLAIN_SEED_LOOP = """function(recs, n)
  local len = python.builtins.len
  local s = 0
  for i = 0, n - 1 do
    local r = recs[i]
    s = s + r.id + r.score + len(r.tags)
    if r.name:sub(1, 1) == "a" then s = s + 1 end
  end
  return s
end"""

# Before each timed run (untimed), for ilupa and plain lupa alike. Plain lupa
# needs it: on Lua 5.3 and 5.5 its second run over the records otherwise reads
# a list where a dict was (lupa's late finalizers, docs/proxy.md).
COLLECT_CELL = "%%lua -n\ncollectgarbage()"

FLOAT_CELL = """%%lua -i xs -o total
local s = 0
for i = 0, #xs - 1 do s = s + xs[i] end
total = s"""

COPY_CELL = "%%lua -c recs -n\nrecs = nil"

# One access per iteration; `{access}` is replaced. `sqrt` is py.math.sqrt in a local.
MICRO_ACCESSES = {
    "dict field d.a": "x = d.a",
    "list item l[i]": "x = l[i % 8]",
    "#l": "x = #l",
    "call sqrt(x) (py.math.sqrt)": "x = sqrt(i)",
}
PLAIN_MICRO_ACCESSES = {**MICRO_ACCESSES, "#l": "x = len(l)"}
MICRO_CELL = """%%lua -i d,l,n -o elapsed
local sqrt, clock = py.math.sqrt, os.clock
local x
local start = clock()
for i = 1, n do {access} end
elapsed = clock() - start"""
PLAIN_MICRO = """function(d, l, n)
  local sqrt, len, clock = python.eval("__import__('math').sqrt"), python.builtins.len, os.clock
  local x
  local start = clock()
  for i = 1, n do {access} end
  return clock() - start
end"""


class Timed:
    """A timed workload: `run` is measured, `before` runs untimed ahead of each run."""

    def __init__(self, run: Callable[[], Any], before: Callable[[], Any] = lambda: None) -> None:
        self.run = run
        self.before = before


def best(workloads: dict[str, Timed], repeat: int = REPEAT) -> dict[str, float]:
    """The best CPU time of each workload over `repeat` rounds, taken in turn.

    Rounds interleave the workloads, so a change of load on this shared
    machine reaches every side of a ratio alike; CPU time (not wall time)
    leaves out the time spent waiting for a core.
    """
    times: dict[str, list[float]] = {name: [] for name in workloads}
    for _ in range(repeat):
        for name, workload in workloads.items():
            workload.before()
            start = time.process_time()
            result = workload.run()  # kept until timed: freeing it is not the workload
            times[name].append(time.process_time() - start)
            del result
    return {name: min(values) for name, values in times.items()}


def row(measure: str, runtime: str, value: float, bar: str, passed: bool | None) -> dict:
    """One line of the table; `passed` is None for a figure with no bar."""
    return {"measure": measure, "runtime": runtime, "value": value, "bar": bar, "pass": passed}


def make_shell(runtime: str) -> Any:
    """A real IPython shell with `%load_ext ilupa` on `runtime` (history in memory)."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    shell = InteractiveShell.instance(config=config)
    atexit.unregister(shell.atexit_operations)  # no full collection of a big state at exit
    for cell in ("%load_ext ilupa", f"%lua_reset {runtime}", "import math"):
        shell.run_cell(cell).raise_error()
    return shell


def run_cell(shell: Any, cell: str) -> None:
    shell.run_cell(cell).raise_error()


def measure_runtime(runtime: str, sizes: Sizes) -> list[dict]:
    """Every figure for one runtime (run in a subprocess of its own)."""
    lupa_runtime = importlib.import_module(f"lupa.{runtime}")
    shell = make_shell(runtime)
    ns = shell.user_ns
    recs = make_records(sizes.records)
    ns["recs"] = recs
    jit = runtime in LUAJIT
    rows = []

    expected = python_seed_loop(recs)
    plain = lupa_runtime.LuaRuntime()
    plain_loop, plain_collect = plain.eval(PLAIN_SEED_LOOP), plain.eval("collectgarbage")
    plain_collect()
    assert abs(plain_loop(recs, len(recs)) - expected) <= 1e-9 * abs(expected)
    collect_cell = lambda: run_cell(shell, COLLECT_CELL)  # noqa: E731
    seed = best(
        {
            "python": Timed(lambda: python_seed_loop(recs)),
            "ilupa": Timed(lambda: run_cell(shell, SEED_CELL), collect_cell),
            "plain": Timed(lambda: plain_loop(recs, len(recs)), plain_collect),
        }
    )
    assert abs(ns["total"] - expected) <= 1e-9 * abs(expected), (ns["total"], expected)
    t_python, t_ilupa, t_plain = seed["python"], seed["ilupa"], seed["plain"]
    rows += [
        row("seed loop, Python's own, s", runtime, t_python, "-", None),
        row("seed loop, ilupa, s", runtime, t_ilupa, "-", None),
        row("seed loop, plain lupa, s", runtime, t_plain, "-", None),
        row(
            "seed loop, ilupa / Python",
            runtime,
            t_ilupa / t_python,
            "<= 4" if jit else "-",
            t_ilupa / t_python <= 4 if jit else None,
        ),
        row(
            "seed loop, ilupa / plain lupa",
            runtime,
            t_ilupa / t_plain,
            "-" if jit else "<= 1.0",
            None if jit else t_ilupa / t_plain <= 1.0,
        ),
        row("seed loop, plain lupa / Python", runtime, t_plain / t_python, "-", None),
    ]

    xs = [float(i % 1000) / 7 for i in range(sizes.floats)]
    ns["xs"] = xs
    floats = best(
        {
            "python": Timed(lambda: python_float_loop(xs)),
            "ilupa": Timed(lambda: run_cell(shell, FLOAT_CELL), collect_cell),
        }
    )
    t_python_floats, t_ilupa_floats = floats["python"], floats["ilupa"]
    assert abs(ns["total"] - python_float_loop(xs)) <= 1e-9 * abs(ns["total"])
    ratio = t_ilupa_floats / t_python_floats
    rows.append(
        row(
            "float list loop, ilupa / Python",
            runtime,
            ratio,
            "<= 1.5" if jit else "-",
            ratio <= 1.5 if jit else None,
        )
    )
    del ns["xs"]

    copies = best(
        {
            "ilupa": Timed(lambda: run_cell(shell, COPY_CELL), collect_cell),
            "table_from": Timed(lambda: lupa_runtime.LuaRuntime().table_from(recs, recursive=True)),
        }
    )
    t_copy, t_table_from = copies["ilupa"], copies["table_from"]
    speedup = t_table_from / t_copy
    rows += [
        row("copy -c recs, s", runtime, t_copy, "-", None),
        row(
            "copy speedup, table_from(recursive) / -c",
            runtime,
            speedup,
            ">= 10" if jit else ">= 1",  # PUC Lua: at most lupa's own table_from
            speedup >= 10 if jit else speedup >= 1,
        ),
    ]

    ns.update(d={"a": 1.5, "b": 2}, l=[1.5] * 8, n=sizes.accesses)
    plain_micro = {
        name: plain.eval(PLAIN_MICRO.replace("{access}", access))
        for name, access in {"empty": "", **PLAIN_MICRO_ACCESSES}.items()
    }

    def cell_seconds(access: str) -> float:
        times = []
        for _ in range(REPEAT):
            run_cell(shell, MICRO_CELL.replace("{access}", access))
            times.append(ns["elapsed"])
        return min(times)

    def plain_seconds(name: str) -> float:
        plain_collect()
        return min(plain_micro[name](ns["d"], ns["l"], ns["n"]) for _ in range(REPEAT))

    t_empty, t_plain_empty = cell_seconds(""), plain_seconds("empty")
    for name, access in MICRO_ACCESSES.items():
        ilupa_ns = (cell_seconds(access) - t_empty) / sizes.accesses * 1e9
        plain_ns = (plain_seconds(name) - t_plain_empty) / sizes.accesses * 1e9
        rows.append(row(f"per access, ilupa, ns: {name}", runtime, ilupa_ns, "-", None))
        rows.append(row(f"per access, plain lupa, ns: {name}", runtime, plain_ns, "-", None))
    return rows


def print_table(rows: list[dict]) -> None:
    width = max(len(r["measure"]) for r in rows)
    print(f"{'measure':<{width}}  {'runtime':<9} {'value':>10}  {'bar':<7} result")
    for r in sorted(rows, key=lambda r: (r["measure"], r["runtime"])):
        verdict = {True: "pass", False: "FAIL", None: "-"}[r["pass"]]
        measure, runtime, value, bar = r["measure"], r["runtime"], r["value"], r["bar"]
        print(f"{measure:<{width}}  {runtime:<9} {value:>10.3f}  {bar:<7} {verdict}")


def main(argv: list[str]) -> int:
    from ilupa.runtimes import available_runtimes

    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_refs")
    parser.add_argument("--quick", action="store_true", help="fewer records: a smoke test")
    parser.add_argument("--runtime", action="append", help="only these runtimes (repeatable)")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--rows-to", type=Path, help=argparse.SUPPRESS)  # one runtime's child
    args = parser.parse_args(argv)
    quick = args.quick or os.environ.get(QUICK_ENV_VAR, "") not in ("", "0")
    if args.rows_to is not None:
        (runtime,) = args.runtime
        args.rows_to.write_text(json.dumps(measure_runtime(runtime, Sizes(quick))))
        return 0
    rows: list[dict] = []
    failed = []
    for runtime in args.runtime or available_runtimes():
        with tempfile.TemporaryDirectory() as scratch:
            rows_file = Path(scratch) / "rows.json"
            command = [sys.executable, "-m", "benchmarks.bench_refs", "--runtime", runtime]
            command += ["--rows-to", str(rows_file)] + (["--quick"] if quick else [])
            print(f"measuring {runtime} ...", flush=True)
            if subprocess.call(command, cwd=Path(__file__).parent.parent) != 0:
                failed.append(runtime)
                continue
            rows += json.loads(rows_file.read_text())
    print_table(rows)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(
        json.dumps({"quick": quick, "records": Sizes(quick).records, "rows": rows}, indent=2)
    )
    print(f"wrote {args.output}")
    if failed:
        print(f"failed runtimes: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
