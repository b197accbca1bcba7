"""Lua on a Dask cluster: scaling from 1 to 2 workers, and the cost of a Lua task.

A `LocalCluster` of worker processes (one thread each) on this machine, with
ilupa attached (LuaJIT 2.1 on every worker):

- scaling: a CPU-bound Lua function (an integer recurrence, exact in doubles, ~0.25 s of Lua)
  mapped over 16 partitions with `bag.map_partitions`; wall time on 2
  workers divided by wall time on 1 of them (the same cluster, the tasks
  restricted to one worker), rounds interleaved since the machine's load
  drifts. Bar: at most 0.6 on a 2-core machine (perfect is 0.5). Median of
  `ROUNDS` runs each. A control without
  ilupa or Dask runs the same loop in plain lupa, 16 times over a pool of 1
  and a pool of 2 processes, interleaved too: its ratio is the parallelism the machine gives right
  now (on a machine shared with other work it can be near 1.0, and then no
  cluster of this machine can scale either).
- overhead: the same small function written in Lua (`ilupa.dask.lua`) and in
  Python, in the same run, rounds alternating which goes first: 400 tiny
  tasks through `client.map`; a `bag.map` over 20,000 records (read by
  reference from Lua); and 20,000 calls in a loop inside one task, which
  leaves Dask's scheduling out. The difference per task / element / call is
  what calling into the worker's Lua state costs.

Prints a table, writes benchmarks/results/dask.json.
"""

from __future__ import annotations

import itertools
import json
import multiprocessing
import os
import statistics
import time
from pathlib import Path

import dask.bag as db
from distributed import Client, LocalCluster

import ilupa.dask as ld

RESULTS = Path(__file__).parent / "results" / "dask.json"
PARTITIONS = 16
ROUNDS = int(os.environ.get("ILUPA_DASK_ROUNDS", "3"))
STEPS = int(os.environ.get("ILUPA_DASK_STEPS", "20000000"))
TASKS = 400
CALLS = 20_000
ELEMENTS = 20_000
RATIO_BAR = 0.6
_seed_blocks = itertools.count()

WORKER_CELL = f"""
function burn(part)
  local x = part[0]
  for i = 1, {STEPS} do x = (x * 16807 + 1) % 2147483647 end
  return x
end
function inc(x) return x + 1 end
function score(rec) return rec.score * 2 + #rec.tags end
"""


def burn_python_reference(seed: int, steps: int) -> int:
    x = seed
    for _ in range(steps):
        x = (x * 16807 + 1) % 2147483647
    return x


def inc(x: int) -> int:
    return x + 1


def score(rec: dict) -> int:
    return rec["score"] * 2 + len(rec["tags"])


def plain_lupa_burn(seed: int) -> int:
    """The Lua loop of `burn` in a bare lupa LuaJIT 2.1 state: no ilupa, no Dask."""
    import lupa.luajit21

    loop = lupa.luajit21.LuaRuntime().execute(WORKER_CELL + " return burn")
    return loop({0: seed})


def time_plain_lupa() -> tuple[float, float]:
    """Median seconds of the control over pools of 1 and 2 processes, rounds interleaved."""
    times: dict[int, list[float]] = {1: [], 2: []}
    with multiprocessing.Pool(1) as one, multiprocessing.Pool(2) as two:
        pools = {1: one, 2: two}
        for pool in pools.values():
            pool.map(plain_lupa_burn, range(2))  # warm-up: the pool's processes start
        for round_number in range(ROUNDS):
            for size in (1, 2) if round_number % 2 == 0 else (2, 1):
                start = time.perf_counter()
                pools[size].map(plain_lupa_burn, range(PARTITIONS), chunksize=1)
                times[size].append(time.perf_counter() - start)
    return statistics.median(times[1]), statistics.median(times[2])


def run_burn(client: Client, workers: list[str] | None) -> float:
    """Wall seconds for the 16 partitions, on `workers` only (None: on every worker).

    Each run has seeds of its own: a graph equal to the previous run's has the
    same keys, and the scheduler reuses those still held (released a moment
    later), restrictions or not, so a "one worker" run would run on both.
    """
    first = next(_seed_blocks) * PARTITIONS
    seeds = db.from_sequence(range(first, first + PARTITIONS), npartitions=PARTITIONS)
    graph = seeds.map_partitions(lambda part: [ld.lua("burn")(list(part))])
    start = time.perf_counter()
    values = client.compute(graph, workers=workers, allow_other_workers=False).result()
    elapsed = time.perf_counter() - start
    if STEPS <= 100_000:  # a short run checks Lua's answer against Python's
        assert values[1] == burn_python_reference(first + 1, STEPS)
    return elapsed


def time_burn(client: Client) -> tuple[float, float]:
    """Median seconds on one worker and on both, rounds interleaved (the load drifts)."""
    one_worker = sorted(client.scheduler_info()["workers"])[:1]
    run_burn(client, None)  # warm-up: every worker compiles and runs burn once
    times: dict[int, list[float]] = {1: [], 2: []}
    for round_number in range(ROUNDS):
        for size in (1, 2) if round_number % 2 == 0 else (2, 1):
            times[size].append(run_burn(client, one_worker if size == 1 else None))
    return statistics.median(times[1]), statistics.median(times[2])


def per_item(seconds: float, count: int) -> float:
    return seconds / count * 1e6


def time_tasks(client: Client, function) -> float:
    start = time.perf_counter()
    results = client.gather(client.map(function, range(TASKS), pure=False))
    elapsed = time.perf_counter() - start
    assert results == list(range(1, TASKS + 1))
    return elapsed


def time_elements(client: Client, function, records: list[dict]) -> float:
    bag = db.from_sequence(records, npartitions=2).map(function).sum()
    start = time.perf_counter()
    total = bag.compute()
    elapsed = time.perf_counter() - start
    assert total == sum(score(r) for r in records)
    return elapsed


def calls_in_one_task(function, count: int) -> float:
    """Seconds for `count` calls of `function` in a loop, timed on the worker."""
    start = time.perf_counter()
    for i in range(count):
        function(i)
    return time.perf_counter() - start


def time_calls(client: Client, function) -> float:
    return client.submit(calls_in_one_task, function, CALLS, pure=False).result()


def alternating(
    timer, client: Client, lua_function, python_function, *extra
) -> tuple[float, float]:
    """Median seconds of the Lua and the Python version, rounds alternating which runs first."""
    timer(client, lua_function, *extra)  # warm-up
    timer(client, python_function, *extra)
    lua_times, python_times = [], []
    for round_number in range(ROUNDS):
        pair = [(lua_function, lua_times), (python_function, python_times)]
        for function, times in pair if round_number % 2 == 0 else reversed(pair):
            times.append(timer(client, function, *extra))
    return statistics.median(lua_times), statistics.median(python_times)


def main() -> None:
    with (
        LocalCluster(
            processes=True, n_workers=2, threads_per_worker=1, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        lua_cluster = ld.attach(client, runtime="luajit21")
        lua_cluster.run_cell(WORKER_CELL, "bench")
        one, two = time_burn(client)
        records = [{"score": i, "tags": ["t"] * (i % 4)} for i in range(ELEMENTS)]
        rows = []
        for name, lua_function, python_function, timer, count, extra in (
            ("client.map task", ld.lua("inc"), inc, time_tasks, TASKS, ()),
            ("bag.map element", ld.lua("score"), score, time_elements, ELEMENTS, (records,)),
            ("call inside a task", ld.lua("inc"), inc, time_calls, CALLS, ()),
        ):
            lua_s, py_s = alternating(timer, client, lua_function, python_function, *extra)
            rows.append(
                {
                    "case": name,
                    "count": count,
                    "lua_us": round(per_item(lua_s, count), 1),
                    "python_us": round(per_item(py_s, count), 1),
                    "overhead_us": round(per_item(lua_s - py_s, count), 1),
                }
            )
    control_one, control_two = time_plain_lupa()
    control = control_two / control_one
    ratio = two / one
    print(f"{'workers':>8} {'ilupa.dask s':>13} {'plain lupa pool s':>18}")
    print(f"{1:>8} {one:>13.2f} {control_one:>18.2f}")
    print(f"{2:>8} {two:>13.2f} {control_two:>18.2f}")
    verdict = "meets" if ratio <= RATIO_BAR else "misses"
    print(f"2 workers / 1 worker: {ratio:.2f} ({verdict} the bar <= {RATIO_BAR}; 0.5 is perfect)")
    print(f"control, 2 processes / 1 process: {control:.2f} (the machine's parallelism now)")
    print(f"\n{'per-item cost':20} {'Lua us':>8} {'Python us':>10} {'Lua overhead us':>16}")
    for row in rows:
        print(
            f"{row['case']:20} {row['lua_us']:>8} {row['python_us']:>10} {row['overhead_us']:>16}"
        )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "scaling": {
                    "partitions": PARTITIONS,
                    "lua_steps_per_partition": STEPS,
                    "one_worker_s": round(one, 3),
                    "two_workers_s": round(two, 3),
                    "ratio": round(ratio, 3),
                    "control_one_process_s": round(control_one, 3),
                    "control_two_processes_s": round(control_two, 3),
                    "control_ratio": round(control, 3),
                    "bar": RATIO_BAR,
                    "cpu_count": os.cpu_count(),
                    "load_average": os.getloadavg(),
                },
                "overhead": rows,
            },
            indent=2,
        )
    )
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
