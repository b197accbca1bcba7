"""Cost of the in-cell memory watch on an allocation-heavy Lua cell, as a ratio.

Runs the same cell with the watch on and off on each counting runtime, takes
the best of several rounds, prints a table and writes
benchmarks/results/memory.json. Target: ratio at most 1.05.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from ilupa import LuaSession
from ilupa.runtimes import available_runtimes

CELL = "local t = {}\nfor i = 1, 2e6 do t[i] = {i, tostring(i)} end\nreturn #t"
ROUNDS = 5
RESULTS = Path(__file__).parent / "results" / "memory.json"


def best_seconds(session: LuaSession) -> tuple[float, float]:
    """Best (watch off, watch on) times, rounds interleaved so drift hits both alike."""
    times: dict[bool, list[float]] = {False: [], True: []}
    for round_number in range(ROUNDS):
        for watch in (False, True):
            session.memory.watch_enabled = watch
            start = time.perf_counter()
            session.run(CELL, f"bench{watch}{round_number}")
            times[watch].append(time.perf_counter() - start)
            session.run("collectgarbage()", "gc")
    return min(times[False]), min(times[True])


def main() -> None:
    rows = []
    for runtime in available_runtimes():
        session = LuaSession(runtime, {}, memory_limit=4 << 30)
        session.memory.notify = lambda notice: None
        off, on = best_seconds(session)
        rows.append({"runtime": runtime, "watch_off_s": off, "watch_on_s": on, "ratio": on / off})
    print(f"{'runtime':<10} {'off (s)':>9} {'on (s)':>9} {'ratio':>7}")
    for row in rows:
        print(
            f"{row['runtime']:<10} {row['watch_off_s']:>9.3f} "
            f"{row['watch_on_s']:>9.3f} {row['ratio']:>7.3f}"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"cell": CELL, "rounds": ROUNDS, "results": rows}, indent=2))


if __name__ == "__main__":
    main()
