"""Proxy-layer benchmarks: view loops, conversions, big objects; table and JSON with bars.

Every figure is a ratio against a baseline measured in the same run (or an
absolute bound where the issue sets one). Writes benchmarks/results/proxy.json.
"""

from __future__ import annotations

import gc
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ilupa.runtimes import available_runtimes
from ilupa.session import LuaSession

RESULTS = Path(__file__).parent / "results" / "proxy.json"
SIMPLE_LOOP = "function(v) local s = 0 for i = 0, #v - 1 do s = s + v[i] end return s end"
# The same sum with four running totals: the simple loop waits on each
# addition's latency; numpy.sum does not.
FOUR_TOTALS_LOOP = """function(v)
  local a, b, c, d, n = 0, 0, 0, 0, #v
  for i = 0, n - 4, 4 do a = a + v[i]; b = b + v[i + 1]; c = c + v[i + 2]; d = d + v[i + 3] end
  for i = n - n % 4, n - 1 do a = a + v[i] end
  return a + b + c + d
end"""
# The floor for a loop with one running total: a bare FFI pointer, no view.
RAW_POINTER_LOOP = """function(address, n)
  local p = require("ffi").cast("double *", address)
  local s = 0
  for i = 0, n - 1 do s = s + p[i] end
  return s
end"""
PLAIN_LOOP = (
    "function(a, n) local s, get = 0, python.as_itemgetter(a)"
    " for i = 0, n - 1 do s = s + get[i] end return s end"
)


def best(function: Callable[[], Any], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def row(name: str, value: float, bar: str, passed: bool | None, runtime: str = "luajit21") -> dict:
    """One line of the table; `passed` is None for a reference figure with no bar."""
    return {"measure": name, "runtime": runtime, "value": value, "bar": bar, "pass": passed}


def view_loops() -> list[dict]:
    session = LuaSession("luajit21", {})
    array = np.random.rand(10**7)
    view = session.proxy.view(array)
    t_numpy = best(array.sum)
    rows = []
    for name, code in (("simple loop", SIMPLE_LOOP), ("four-totals loop", FOUR_TOTALS_LOOP)):
        loop = session.lua.eval(code)
        assert abs(loop(view) - array.sum()) < 1e-6 * array.size
        ratio = best(lambda loop=loop: loop(view)) / t_numpy
        rows.append(row(f"view sum, {name} / numpy.sum", ratio, "<= 2", ratio <= 2))
    raw = session.lua.eval(RAW_POINTER_LOOP)
    ratio = best(lambda: raw(array.ctypes.data, array.size)) / t_numpy
    rows.append(row("bare FFI pointer, simple loop / numpy.sum", ratio, "floor", None))
    small = 10**5  # the plain proxy is too slow for 10^7; scaled per element
    plain = session.lua.eval(PLAIN_LOOP)
    t_plain = best(lambda: plain(array, small), 1) * (array.size / small)
    t_view = best(lambda: session.lua.eval(SIMPLE_LOOP)(view))
    speedup = t_plain / t_view
    rows.append(row("lupa object proxy loop / view loop", speedup, ">= 100", speedup >= 100))
    return rows


def conversions(runtime: str) -> list[dict]:
    session = LuaSession(runtime, {})
    array = np.random.rand(10**6)
    t_fast = best(lambda: session.proxy.table_from_array(array), 3)
    t_base = best(lambda: session.lua.table_from(array.tolist()), 3)
    table = session.proxy.table_from_array(array)
    assert np.array_equal(session.proxy.array_from_table(table), array)
    t_back = best(lambda: session.proxy.array_from_table(table), 3)
    t_list = best(lambda: np.array(list(table.values())), 2)
    to_table, to_numpy = t_base / t_fast, t_list / t_back
    return [
        row(
            "numpy -> table speedup vs table_from(tolist())",
            to_table,
            ">= 5",
            to_table >= 5,
            runtime,
        ),
        row(
            "table -> numpy speedup vs list(t.values())", to_numpy, ">= 10", to_numpy >= 10, runtime
        ),
    ]


def big_objects() -> list[dict]:
    session = LuaSession("luajit21", {}, memory_limit=8 << 30)
    rows = []
    for name, big in (
        ("1 GiB numpy array (view)", np.ones(2**27)),
        ("1 GiB bytearray", bytearray(2**30)),
    ):
        session.lua.execute("collectgarbage() collectgarbage()")
        gc.collect()
        before = session.lua.get_memory_used()
        start = time.perf_counter()
        session.globals["big"] = session.proxy.to_lua(big)
        elapsed_ms = (time.perf_counter() - start) * 1000
        growth_kb = (session.lua.get_memory_used() - before) / 1024
        rows.append(row(f"pass {name} into Lua, ms", elapsed_ms, "< 1", elapsed_ms < 1))
        rows.append(row(f"pass {name}, Lua heap growth KB", growth_kb, "< 64", growth_kb < 64))
        session.globals["big"] = None
        del big
    return rows


def main() -> None:
    rows = view_loops()
    for runtime in available_runtimes():
        rows.extend(conversions(runtime))
    rows.extend(big_objects())
    width = max(len(r["measure"]) for r in rows)
    print(f"{'measure':<{width}}  {'runtime':<9} {'value':>9}  {'bar':<7} result")
    for r in rows:
        verdict = {True: "pass", False: "FAIL", None: "-"}[r["pass"]]
        measure, runtime, value, bar = r["measure"], r["runtime"], r["value"], r["bar"]
        print(f"{measure:<{width}}  {runtime:<9} {value:>9.2f}  {bar:<7} {verdict}")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
