"""Cost of calling a Lua function from Python as a cell run, against lupa's bare call.

Every Lua function that reaches Python through ilupa is a `LuaFunction`
(ilupa/lua_function.py): each call is a cell run (ilupa/cell_run.py) with the
interrupt armed, the memory watch on, a globals snapshot and the budget
switched around the user's Lua. This measures the price per call on a
trivial function (`sorted(xs, key=f)` over 5,000 numbers), best of several
rounds, next to lupa's own function object. It also measures how long the
stop button (SIGINT) takes to end Lua run outside a cell: a Lua function
that loops, called from Python, and a value whose `__tostring` loops while
IPython's display reads it (the bar is one second). Prints a table and writes
benchmarks/results/callbacks.json.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

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


def stop_seconds(run: Callable[[], object]) -> float:
    """Seconds from SIGINT to the KeyboardInterrupt that ends `run`."""
    sent: list[float] = []

    def send() -> None:
        sent.append(time.perf_counter())
        os.kill(os.getpid(), signal.SIGINT)

    timer = threading.Timer(0.3, send)
    timer.start()
    try:
        run()
    except KeyboardInterrupt:
        stopped = time.perf_counter()
    else:
        raise AssertionError("the loop ended by itself")
    timer.join()
    return stopped - sent[0]


def main() -> None:
    previous = signal.signal(signal.SIGINT, lambda signum, frame: None)
    rows = []
    for runtime in available_runtimes():
        session = LuaSession(runtime, {})
        (negate, spin, shown) = session.run(
            "return function(x) return -x end, function() while true do end end,"
            " setmetatable({}, {__tostring = function() while true do end end})",
            "bench",
        )

        def display_value(value: object = shown, reader: Any = session.display_reader) -> None:
            with reader.displaying():
                reader.own_text(value)

        rows.append(
            {
                "runtime": runtime,
                "cell_run_us": per_call_seconds(negate) * 1e6,
                "lupa_us": per_call_seconds(negate.lua_function) * 1e6,
                "stop_function_s": stop_seconds(spin),
                "stop_display_s": stop_seconds(display_value),
            }
        )
    signal.signal(signal.SIGINT, previous)
    print(
        f"{'runtime':<10} {'cell run (us)':>14} {'lupa bare (us)':>15} "
        f"{'stop f() (s)':>13} {'stop display (s)':>17}"
    )
    for row in rows:
        print(
            f"{row['runtime']:<10} {row['cell_run_us']:>14.1f} {row['lupa_us']:>15.2f} "
            f"{row['stop_function_s']:>13.3f} {row['stop_display_s']:>17.3f}"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"calls": CALLS, "rounds": ROUNDS, "results": rows}, indent=2))


if __name__ == "__main__":
    main()
