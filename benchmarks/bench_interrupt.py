"""Price of ilupa's interrupt checks: the same loops with and without them.

`with checks` runs through LuaSession.run (hook + LuaJIT loop checks);
`without` runs the same chunk on a bare lupa runtime. Prints a table and
writes benchmarks/results/interrupt.json.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from ilupa.runtimes import available_runtimes, load_runtime_module
from ilupa.session import LuaSession

N = 20_000_000
TIGHT = "local x = 0 for i = 1, {n} do x = x + i end return x"
ARRAY_SUM = (
    "local ffi = require 'ffi' local p = ffi.cast('double *', address) "
    "local s = 0 for i = 0, {n} - 1 do s = s + p[i] end return s"
)
TABLE_SUM = "local t = array local s = 0 for i = 1, #t do s = s + t[i] end return s"
REPEATS = 5


def best_of(run: object) -> float:
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        run()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def measure(runtime: str) -> list[dict[str, object]]:
    session = LuaSession(runtime, {})
    bare = load_runtime_module(runtime).LuaRuntime()
    rows = []
    data = np.random.default_rng(0).random(N)
    cases = {"tight loop": TIGHT.format(n=N)}
    if runtime.startswith("luajit"):
        cases["array-view sum"] = ARRAY_SUM.format(n=N)
        for lua in (session.globals, bare.globals()):
            lua.address = data.ctypes.data
    else:
        small = data[: N // 10].tolist()
        for lua in (session.lua, bare):
            lua.globals().array = lua.table_from(small)
        cases["table sum"] = TABLE_SUM
    for name, code in cases.items():
        plain = bare.compile(code)
        without = best_of(plain)
        checked = best_of(lambda code=code: session.run(code, "bench"))
        rows.append(
            {
                "runtime": runtime,
                "case": name,
                "without_s": round(without, 4),
                "with_s": round(checked, 4),
                "overhead_pct": round(100 * (checked / without - 1), 1),
            }
        )
    return rows


def main() -> None:
    rows = [row for runtime in available_runtimes() for row in measure(runtime)]
    print(f"{'runtime':10} {'case':16} {'without s':>10} {'with s':>10} {'overhead':>9}")
    for row in rows:
        print(
            f"{row['runtime']:10} {row['case']:16} {row['without_s']:>10} "
            f"{row['with_s']:>10} {row['overhead_pct']:>8}%"
        )
    out = Path(__file__).parent / "results" / "interrupt.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
