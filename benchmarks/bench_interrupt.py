"""Price of ilupa's interrupt machinery: the same Lua with it on and off, in one run.

`on` runs the cell through LuaSession.run (signal handler, watcher, thread
registration, and on Lua 5.1/LuaJIT the count hook and loop checks). `off`
runs the same code compiled by a bare lupa runtime (the view sum: by a second
session whose hook was removed, as views need ilupa) and called directly. On
and off runs alternate and the best of each counts, so load on the machine
hits both alike. Also the latency the issue bounds (1 s): SIGINT sent to this
process while a JIT-friendly endless loop runs, to the KeyboardInterrupt, and
while a loop of short C calls runs (`string.rep(...):upper()`, which a
counted check would see only after thousands of slow passes).

On LuaJIT, "view loop in a cell / raw FFI floor": the view sum run as a
`%%lua` cell would run it (LuaSession.run: loop checks, hook, watcher), over a
plain lupa runtime summing the same numpy buffer through a raw `double *`
with no ilupa at all. Bar: 1.25.

Prints tables and writes benchmarks/results/interrupt.json.
`python -m benchmarks.bench_interrupt luajit21 lua54` measures some runtimes only.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ilupa.runtimes import available_runtimes
from ilupa.session import LuaSession

TIGHT_LOOP = "local x = 0 for i = 1, {n} do x = x + i end return x"
VIEW_SUM = "local s = 0 for r = 1, {rounds} do for i = 0, #v - 1 do s = s + v[i] end end return s"
COROUTINES = (
    "local n = 0 for i = 1, 100000 do "
    "local co = coroutine.create(function() n = n + 1 end) coroutine.resume(co) end return n"
)
# LuaJIT runs ten times the work, so that each run lasts about as long as on PUC Lua.
JIT_ROUNDS, JIT_LOOP, JIT_VIEW_LENGTH = 10, 200_000_000, 10_000_000
PUC_ROUNDS, PUC_LOOP, PUC_VIEW_LENGTH = 1, 20_000_000, 200_000  # PUC views read through Python
REPEATS = 9
ENDLESS_LOOP = "x = 0 while true do x = x + 1 end"
SHORT_C_CALLS = "for k = 1, 1e9 do string.rep('x', 1e6 + k):upper() end"
LATENCY_BAR_S = 1.0
RAW_FFI_SUM = (
    "local ffi = require('ffi') local p = ffi.cast('double *', address) local s = 0 "
    "for r = 1, {rounds} do for i = 0, length - 1 do s = s + p[i] end end return s"
)
FLOOR_BAR = 1.25


def timed(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def on_and_off(on: Callable[[], object], off: Callable[[], object]) -> tuple[float, float]:
    """Best time of each, measured alternately."""
    on_times, off_times = [], []
    for _ in range(REPEATS):
        on_times.append(timed(on))
        off_times.append(timed(off))
    return min(on_times), min(off_times)


def measure(runtime: str) -> list[dict[str, object]]:
    session = LuaSession(runtime, {})
    plain = LuaSession(runtime, {})
    plain.lua.execute("debug.sethook()")
    jit = session.interrupts.jit
    rounds, loop, length = (
        (JIT_ROUNDS, JIT_LOOP, JIT_VIEW_LENGTH) if jit else (PUC_ROUNDS, PUC_LOOP, PUC_VIEW_LENGTH)
    )
    data = np.random.default_rng(0).random(length)
    for lua_session in (session, plain):
        lua_session.globals.v = lua_session.proxy.view(data)
    bare = session.module.LuaRuntime()
    cases = {
        "tight loop": (TIGHT_LOOP.format(n=loop), bare),
        "array-view sum": (VIEW_SUM.format(rounds=rounds), plain.lua),
        "100k coroutines": (COROUTINES, bare),
    }
    rows = []
    if jit:
        raw = importlib.import_module(f"lupa.{runtime}").LuaRuntime()
        raw.globals().address, raw.globals().length = data.ctypes.data, length
        code = VIEW_SUM.format(rounds=rounds)
        floor = raw.compile(RAW_FFI_SUM.format(rounds=rounds))
        in_cell_s, floor_s = on_and_off(lambda code=code: session.run(code, "bench"), floor)
        rows.append(
            {
                "runtime": runtime,
                "case": "view loop in a cell / raw FFI floor",
                "without_s": round(floor_s, 4),
                "with_s": round(in_cell_s, 4),
                "overhead_pct": round(100 * (in_cell_s / floor_s - 1), 1),
                "ratio": round(in_cell_s / floor_s, 3),
                "bar": FLOOR_BAR,
            }
        )
    for name, (code, lua) in cases.items():
        chunk = lua.compile(code)
        with_s, without_s = on_and_off(lambda code=code: session.run(code, "bench"), chunk)
        rows.append(
            {
                "runtime": runtime,
                "case": name,
                "without_s": round(without_s, 4),
                "with_s": round(with_s, 4),
                "overhead_pct": round(100 * (with_s / without_s - 1), 1),
            }
        )
    return rows


def interrupt_latency(runtime: str, loop: str = ENDLESS_LOOP) -> float:
    """Seconds from SIGINT to the KeyboardInterrupt out of an endless Lua loop."""
    session = LuaSession(runtime, {})
    session.run(TIGHT_LOOP.format(n=10_000_000), "warm")  # fast code first: counts grown
    sent: list[float] = []

    def send() -> None:
        sent.append(time.perf_counter())
        os.kill(os.getpid(), signal.SIGINT)

    threading.Timer(0.5, send).start()
    try:
        session.run(loop, "endless")
    except KeyboardInterrupt:
        return time.perf_counter() - sent[0]
    raise RuntimeError(f"{runtime}: the endless loop ended without an interrupt")


def main() -> None:
    runtimes = sys.argv[1:] or available_runtimes()
    rows = [row for runtime in runtimes for row in measure(runtime)]
    latencies = [
        {
            "runtime": runtime,
            "latency_s": round(interrupt_latency(runtime), 4),
            "short_c_calls_latency_s": round(interrupt_latency(runtime, SHORT_C_CALLS), 4),
        }
        for runtime in runtimes
    ]
    print(f"{'runtime':10} {'case':36} {'off s':>8} {'on s':>8} {'overhead':>9}")
    for row in rows:
        bar = f"  ratio {row['ratio']} (bar {row['bar']})" if "ratio" in row else ""
        print(
            f"{row['runtime']:10} {row['case']:36} {row['without_s']:>8} "
            f"{row['with_s']:>8} {row['overhead_pct']:>8}%{bar}"
        )
    print(
        f"\n{'runtime':10} {'SIGINT to stop s':>17} {'short C calls s':>16}  bar {LATENCY_BAR_S} s"
    )
    for row in latencies:
        worst = max(row["latency_s"], row["short_c_calls_latency_s"])
        verdict = "pass" if worst <= LATENCY_BAR_S else "FAIL"
        print(
            f"{row['runtime']:10} {row['latency_s']:>17} "
            f"{row['short_c_calls_latency_s']:>16}  {verdict}"
        )
    out = Path(__file__).parent / "results" / "interrupt.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"overhead": rows, "latency": latencies}, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
