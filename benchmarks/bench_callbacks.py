"""Cost of calling a Lua function from Python as a cell run, against lupa's bare call.

Every Lua function that reaches Python through ilupa is a `LuaFunction`
(ilupa/lua_function.py): each call is a cell run (ilupa/cell_run.py) with the
interrupt armed, the memory watch on, a globals snapshot and the budget
switched around the user's Lua. This measures the price per call on a
trivial function (`sorted(xs, key=f)` over 5,000 numbers), best of several
rounds, next to lupa's own function object. Prints a table and writes
benchmarks/results/callbacks.json.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from ilupa import LuaSession
from ilupa.runtimes import available_runtimes

CALLS = 5000
ROUNDS = 5
RESULTS = Path(__file__).parent / "results" / "callbacks.json"


def per_call_seconds(key: object) -> float:
    numbers = list(range(CALLS))
    best = float("inf")
    for _ in range(ROUNDS):
        start = time.perf_counter()
        sorted(numbers, key=key)  # type: ignore[arg-type]
        best = min(best, time.perf_counter() - start)
    return best / CALLS


def main() -> None:
    rows = []
    for runtime in available_runtimes():
        session = LuaSession(runtime, {})
        (negate,) = session.run("return function(x) return -x end", "bench")
        rows.append(
            {
                "runtime": runtime,
                "cell_run_us": per_call_seconds(negate) * 1e6,
                "lupa_us": per_call_seconds(negate.lua_function) * 1e6,
            }
        )
    print(f"{'runtime':<10} {'cell run (us)':>14} {'lupa bare (us)':>15}")
    for row in rows:
        print(f"{row['runtime']:<10} {row['cell_run_us']:>14.1f} {row['lupa_us']:>15.2f}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"calls": CALLS, "rounds": ROUNDS, "results": rows}, indent=2))


if __name__ == "__main__":
    main()
