"""Cost of the in-cell memory watch on an allocation-heavy Lua cell, as a ratio.

Runs the same cell as a cell (the watch on: ilupa/cell_run.py) and as a bare
lupa call of the same chunk (off: no cell-run context at all) on each runtime, takes the best
of several interleaved rounds, prints a table and writes
benchmarks/results/memory.json. Target: ratio at most 1.05. Two ratios: wall
time (what the user waits, noisy on a loaded machine, where the watcher thread
competes for a CPU) and the CPU time of the thread running Lua (the cost the
watch adds to Lua itself: the in-thread samples).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from ilupa import LuaSession
from ilupa.runtimes import available_runtimes

CELL = "local t = {}\nfor i = 1, 1e6 do t[i] = {i, tostring(i)} end\nreturn #t"
ROUNDS = 11
RESULTS = Path(__file__).parent / "results" / "memory.json"


def best_seconds(session: LuaSession) -> dict[str, float]:
    """Best wall and thread-CPU times with the watch off and on, rounds interleaved.

    Odd rounds run "on" first, so neither configuration always follows the other.
    """
    times: dict[str, list[float]] = {"off": [], "on": [], "cpu_off": [], "cpu_on": []}
    for round_number in range(ROUNDS):
        for watch in (False, True) if round_number % 2 == 0 else (True, False):
            name = "on" if watch else "off"
            start, start_cpu = time.perf_counter(), time.thread_time()
            if watch:
                session.run(CELL, f"bench{watch}{round_number}")
            else:
                session.lua.execute(CELL)
            times[name].append(time.perf_counter() - start)
            times[f"cpu_{name}"].append(time.thread_time() - start_cpu)
            session.run("collectgarbage()", "gc")
    return {name: min(values) for name, values in times.items()}


def main() -> None:
    rows = []
    for runtime in available_runtimes():
        session = LuaSession(runtime, {}, memory_limit=4 << 30)
        session.memory.notify = lambda notice: None
        best = best_seconds(session)
        rows.append(
            {
                "runtime": runtime,
                "watch_off_s": best["off"],
                "watch_on_s": best["on"],
                "ratio": best["on"] / best["off"],
                "cpu_ratio": best["cpu_on"] / best["cpu_off"],
            }
        )
    print(f"{'runtime':<10} {'off (s)':>9} {'on (s)':>9} {'ratio':>7} {'cpu ratio':>10}")
    for row in rows:
        print(
            f"{row['runtime']:<10} {row['watch_off_s']:>9.3f} "
            f"{row['watch_on_s']:>9.3f} {row['ratio']:>7.3f} {row['cpu_ratio']:>10.3f}"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"cell": CELL, "rounds": ROUNDS, "results": rows}, indent=2))


if __name__ == "__main__":
    main()
