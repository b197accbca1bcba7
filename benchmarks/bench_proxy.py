"""Proxy-layer benchmarks: view loops, conversions, big objects; prints ratios, writes JSON."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from ilupa.session import LuaSession

RESULTS = Path(__file__).parent / "results" / "proxy.json"


def best(function: Any, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def view_loop(results: dict[str, float]) -> None:
    session = LuaSession("luajit21", {})
    array = np.random.rand(10**7)
    loop = session.lua.eval(
        "function(v) local s = 0 for i = 0, #v - 1 do s = s + v[i] end return s end"
    )
    plain = session.lua.eval(
        "function(a, n) local s = 0 for i = 0, n - 1 do s = s + python.as_itemgetter(a)[i] end"
        " return s end"
    )
    view = session.proxy.view(array)
    t_view = best(lambda: loop(view))
    t_numpy = best(lambda: array.sum())
    small = 10**5
    t_plain = best(lambda: plain(array, small), 1) * (array.size / small)
    results["view_loop_vs_numpy_sum"] = t_view / t_numpy
    results["plain_proxy_vs_view_loop"] = t_plain / t_view


def conversions(results: dict[str, float], runtime: str) -> None:
    session = LuaSession(runtime, {})
    array = np.random.rand(10**6)
    t_fast = best(lambda: session.proxy.table_from_array(array))
    t_base = best(lambda: session.lua.table_from(array.tolist()))
    table = session.proxy.table_from_array(array)
    t_back = best(lambda: session.proxy.array_from_table(table))
    t_list = best(lambda: np.array(list(table.values())), 1)
    results[f"{runtime}_to_table_speedup"] = t_base / t_fast
    results[f"{runtime}_to_numpy_speedup"] = t_list / t_back


def big_object(results: dict[str, float]) -> None:
    session = LuaSession("luajit21", {})
    lua = session.module.LuaRuntime(max_memory=0)
    big = np.ones(2**27)  # 1 GiB
    before = lua.get_memory_used()
    start = time.perf_counter()
    lua.globals()["big"] = big
    elapsed = time.perf_counter() - start
    results["pass_1GB_ms"] = elapsed * 1000
    results["pass_1GB_heap_growth_kb"] = (lua.get_memory_used() - before) / 1024


def main() -> None:
    results: dict[str, float] = {}
    view_loop(results)
    for runtime in ("luajit21", "lua54", "lua51"):
        conversions(results, runtime)
    big_object(results)
    width = max(map(len, results))
    for name, value in results.items():
        print(f"{name:<{width}}  {value:10.2f}")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
