"""Lua on a real Dask cluster: worker processes on loopback, each with its own Lua state.

One `LocalCluster(processes=True, n_workers=2)` serves the module. Each test
attaches it afresh from a real IPython shell (`%load_ext ilupa.dask`,
`%lua_cluster client`) and compares what the workers compute with the same
Lua run by `%%lua` in this one process. The tests that scale the cluster or
kill a worker come last.
"""

from __future__ import annotations

import os
import pickle
import signal
import time
from collections.abc import Iterator

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")
import dask.array as da  # noqa: E402
import dask.bag as db  # noqa: E402
import dask.dataframe as dd  # noqa: E402
import pandas as pd  # noqa: E402
from IPython.core.error import UsageError  # noqa: E402

import ilupa.dask as ld  # noqa: E402
from ilupa import LuaMemoryError, LuaRuntimeError, LuaSession  # noqa: E402
from ilupa.dask.plugin import describe_state, worker_lua  # noqa: E402
from ilupa.dask.settings import DEFAULT_WORKER_SHARE  # noqa: E402
from ilupa.pickling import refuse_pickling_lua_objects  # noqa: E402
from tests.conftest import lua_magics, run  # noqa: E402

pytestmark = pytest.mark.slow

DEFINITIONS = """%%lua --workers
function score(rec) return rec.score * 2 + #rec.tags end
function scores(part)
  local out = {}
  for i, rec in ipairs(part) do out[i] = score(rec) end
  return out
end
function square_plus_one(block)
  for i = 0, #block - 1 do
    local row = block[i]
    for j = 0, #row - 1 do row[j] = row[j] * row[j] + 1 end
  end
end
function ratio(df)
  local n, out = #df.a, {}
  for i = 0, n - 1 do out[i + 1] = df.a[i] / df.b[i] end
  return {ratio = ilupa.toarray(out), a = df.a}
end
function boom(x)
  local y = x + 1
  error('boom ' .. y)
end
function hog(n)
  local t = {}
  for i = 1, n do t[i] = i end
  return #t
end
"""
LOCAL_DEFINITIONS = DEFINITIONS.replace("%%lua --workers", "%%lua -n")
RECORDS = [{"score": i, "tags": ["t"] * (i % 4)} for i in range(200)]


@pytest.fixture(scope="module")
def client() -> Iterator[distributed.Client]:
    with (
        distributed.LocalCluster(
            processes=True, n_workers=2, threads_per_worker=1, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


@pytest.fixture
def attached(shell, client):
    """A shell with the cluster attached (256 MiB of Lua per worker) and DEFINITIONS on it."""
    shell.push({"client": client})
    run(shell, "%load_ext ilupa.dask").raise_error()
    run(shell, "%lua_cluster client --memory-limit 256MiB").raise_error()
    run(shell, DEFINITIONS).raise_error()
    return shell


def cluster_of(shell) -> ld.LuaCluster:
    return lua_magics(shell).workers


# -- the same work, on the cluster and in one process --------------------------------------


def test_bag_map_equals_lua_in_one_process(attached):
    on_cluster = db.from_sequence(RECORDS, npartitions=4).map(ld.lua("score")).sum().compute()
    attached.push({"records": RECORDS})
    run(attached, LOCAL_DEFINITIONS).raise_error()
    local = run(
        attached,
        "%%lua -i records\nlocal s = 0\nfor _, r in ipairs(records) do s = s + score(r) end\ns",
    )
    local.raise_error()
    assert on_cluster == local.result == sum(r["score"] * 2 + len(r["tags"]) for r in RECORDS)


def test_bag_map_partitions_returns_lua_tables_as_python_lists(attached):
    bag = db.from_sequence(RECORDS, npartitions=4)
    partitions = bag.map_partitions(ld.lua("scores")).compute()
    attached.push({"records": RECORDS})
    run(attached, LOCAL_DEFINITIONS).raise_error()
    local = run(attached, "%lua ilupa.topython(scores(py.records))")
    local.raise_error()
    assert list(partitions) == local.result
    assert all(type(value) is int for value in partitions)


def test_map_blocks_fills_views_in_place_like_lua_in_one_process(attached):
    data = np.arange(48, dtype="float64").reshape(6, 8) / 7
    x = da.from_array(data, chunks=(3, 4))
    on_cluster = x.map_blocks(ld.lua("square_plus_one", in_place=True), dtype=x.dtype).compute()
    local = data.copy()
    attached.push({"local": local})
    run(attached, LOCAL_DEFINITIONS).raise_error()
    run(attached, "%lua square_plus_one(py['local'])").raise_error()
    np.testing.assert_array_equal(on_cluster, local)
    np.testing.assert_array_equal(on_cluster, data * data + 1)


def test_map_blocks_gets_the_view_it_returns_back_as_the_array(attached):
    x = da.arange(20, chunks=5, dtype="int32")
    back = x.map_blocks(ld.lua("function(b) return b end"), dtype=x.dtype).compute()
    np.testing.assert_array_equal(back, np.arange(20, dtype="int32"))


def views_use_ffi(dask_worker) -> bool:
    return worker_lua(dask_worker).session.proxy.uses_ffi


@pytest.mark.parametrize("runtime", ["luajit21", "lua54", "lua51"])
def test_map_blocks_on_each_runtime_with_ffi_views_on_luajit(shell, client, runtime):
    shell.push({"client": client})
    run(shell, "%load_ext ilupa.dask").raise_error()
    run(shell, f"%lua_cluster client --runtime {runtime}").raise_error()
    run(shell, DEFINITIONS).raise_error()
    data = np.arange(24, dtype="float64").reshape(4, 6) / 5
    x = da.from_array(data, chunks=(2, 3))
    on_cluster = x.map_blocks(ld.lua("square_plus_one", in_place=True), dtype=x.dtype).compute()
    local = data.copy()
    shell.push({"local": local})
    run(shell, f"%lua_reset {runtime}").raise_error()
    run(shell, LOCAL_DEFINITIONS).raise_error()
    run(shell, "%lua square_plus_one(py['local'])").raise_error()
    np.testing.assert_array_equal(on_cluster, local)
    assert set(client.run(views_use_ffi).values()) == {runtime.startswith("luajit")}


def test_dataframe_map_partitions_reads_columns_as_views(attached):
    frame = pd.DataFrame({"a": np.arange(1.0, 41.0), "b": np.linspace(1, 2, 40)})
    partitions = dd.from_pandas(frame, npartitions=4)
    meta = {"a": "f8", "ratio": "f8"}
    on_cluster = partitions.map_partitions(ld.lua("ratio"), meta=meta).compute()
    attached.push({"a": frame["a"].to_numpy(), "b": frame["b"].to_numpy()})
    run(attached, LOCAL_DEFINITIONS).raise_error()
    local = run(attached, "%lua ratio({a = py.a, b = py.b}).ratio")
    local.raise_error()
    assert list(on_cluster.columns) == ["a", "ratio"]
    np.testing.assert_array_equal(on_cluster["ratio"].to_numpy(), local.result)
    np.testing.assert_array_equal(on_cluster.index, frame.index)


def test_client_submit_and_map_with_a_function_by_source(attached, client):
    double = ld.lua("function(x) return 2 * x, {x, k = 'v'} end")
    assert client.submit(double, 21).result() == (42, {1: 21, "k": "v"})
    assert client.gather(client.map(ld.lua("score"), RECORDS[:5])) == [
        r["score"] * 2 + len(r["tags"]) for r in RECORDS[:5]
    ]


def test_handles_pickle_as_a_name_or_a_source():
    handle = ld.lua("score")
    assert pickle.loads(pickle.dumps(handle)) == handle
    assert ld.lua("function(x) return x end").source == "function(x) return x end"


def test_lua_tables_and_functions_refuse_pickle_with_a_clear_error():
    session = LuaSession("luajit21", {})
    table, function = session.run("return {1, 2}, function() end", "In[1]")
    refuse_pickling_lua_objects()  # what attaching a cluster and each worker's plugin do
    with pytest.raises(TypeError, match="a Lua table cannot leave the Lua state"):
        pickle.dumps(table)
    with pytest.raises(TypeError, match="a Lua function or coroutine cannot leave"):
        pickle.dumps(function)


# -- errors ----------------------------------------------------------------------------


def test_lua_error_on_a_worker_raises_lua_error_naming_worker_cell_and_line(attached, client):
    workers = set(client.scheduler_info()["workers"])
    with pytest.raises(LuaRuntimeError) as caught:
        client.submit(ld.lua("boom"), 1).result()
    error = caught.value
    assert error.message == "boom 2"
    cell = cluster_of(attached).cells[0].chunk_name
    assert (error.location.chunk, error.location.line) == (cell, 20)
    assert error.location.text.strip() == "error('boom ' .. y)"
    [note] = error.__notes__
    assert note.removeprefix("on Dask worker ") in workers
    assert note in "\n".join(error._render_traceback_())
    assert client.submit(ld.lua("score"), RECORDS[3]).result() == 9


def test_lua_memory_error_on_a_worker_then_the_worker_computes_again(attached, client):
    with pytest.raises(LuaMemoryError, match=r"budget of 256\.0 MiB") as caught:
        client.submit(ld.lua("hog"), 100_000_000, pure=False).result()
    assert caught.value.__notes__[0].startswith("on Dask worker tcp://127.0.0.1:")
    assert client.submit(ld.lua("hog"), 1000, pure=False).result() == 1000
    total = db.from_sequence(RECORDS, npartitions=4).map(ld.lua("score")).sum().compute()
    assert total == sum(r["score"] * 2 + len(r["tags"]) for r in RECORDS)


def test_failing_worker_cell_raises_and_is_not_recorded(attached, client):
    before = list(cluster_of(attached).cells)
    result = run(attached, "%%lua --workers\nfine = 1\nerror('not recorded')")
    assert isinstance(result.error_in_exec, LuaRuntimeError)
    assert "not recorded" in str(result.error_in_exec)
    assert cluster_of(attached).cells == before
    assert client.submit(ld.lua("function() return fine end")).result() == 1  # ran before it


def test_line_magic_runs_one_line_on_every_worker(attached, client):
    run(attached, "%lua --workers answer = 6 * 7").raise_error()
    workers = list(client.scheduler_info()["workers"])
    answers = [
        client.submit(ld.lua("function() return answer end"), workers=[w], pure=False).result()
        for w in workers
    ]
    assert answers == [42] * len(workers)
    assert run(attached, "%lua answer").result is None  # it ran there, not here


def test_worker_cells_require_c_and_pure_lua_modules_on_every_worker(attached, client):
    """Workers' states search the same trees and bind C modules as the notebook's state."""
    from pathlib import Path

    from ilupa.lua_libraries.search_paths import LUA_VERSIONS

    version = LUA_VERSIONS[lua_magics(attached).runtime]
    if not list(Path("/usr/lib").glob(f"*/lua/{version}/cjson.so")):
        pytest.skip(f"Debian's lua-cjson for Lua {version} is not installed")
    run(
        attached,
        "%%lua --workers\ncjson = require 'cjson'\n"
        "function as_json(x) return require('pl.pretty').write({x}, '') .. cjson.encode({x}) end",
    ).raise_error()
    workers = list(client.scheduler_info()["workers"])
    texts = [client.submit(ld.lua("as_json"), 7, workers=[w], pure=False).result() for w in workers]
    assert texts == ["{7}[7]"] * len(workers)


def test_undefined_function_is_a_lua_error_naming_the_worker(attached, client):
    with pytest.raises(LuaRuntimeError, match="'nowhere' is nil") as caught:
        client.submit(ld.lua("nowhere"), 1).result()
    assert caught.value.__notes__[0].startswith("on Dask worker")


def test_workers_option_without_a_cluster_is_a_usage_error(shell):
    result = run(shell, "%%lua --workers\nx = 1")
    assert isinstance(result.error_in_exec, UsageError)
    assert "%lua_cluster client" in str(result.error_in_exec)


# -- settings ----------------------------------------------------------------------------


def test_budget_defaults_to_a_share_of_each_workers_memory_limit(shell, client):
    shell.push({"client": client})
    run(shell, "%load_ext ilupa.dask").raise_error()
    run(shell, "%lua_reset lua54").raise_error()
    run(shell, "%lua_cluster client").raise_error()
    states = client.run(describe_state)
    limits = {a: w["memory_limit"] for a, w in client.scheduler_info()["workers"].items()}
    assert {s["runtime"] for s in states.values()} == {"lua54"}  # the notebook's runtime
    for address, state in states.items():
        assert state["memory_limit"] == int(limits[address] * DEFAULT_WORKER_SHARE)


def test_configured_memory_limit_reaches_the_workers(shell, client):
    shell.push({"client": client})
    run(shell, "%load_ext ilupa.dask").raise_error()
    run(shell, "%config LuaMagics.memory_limit = '100MiB'").raise_error()
    run(shell, "%lua_cluster client").raise_error()
    states = client.run(describe_state)
    assert {s["memory_limit"] for s in states.values()} == {100 << 20}


# -- workers that come and go (last: they change the cluster) ------------------------------


def wait_for(condition, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the cluster")
        time.sleep(0.2)


def test_a_worker_that_joins_replays_the_worker_cells_in_order(attached, client):
    run(attached, "%%lua --workers\nbase = 10").raise_error()
    run(attached, "%%lua --workers\nfunction plus_base(x) return x + base end").raise_error()
    before = set(client.scheduler_info()["workers"])
    client.cluster.scale(3)
    client.wait_for_workers(3, timeout=60)
    [new] = set(client.scheduler_info()["workers"]) - before
    wait_for(lambda: client.run(describe_state, workers=[new])[new])
    names = [cell.chunk_name for cell in cluster_of(attached).cells]
    assert client.run(describe_state, workers=[new])[new]["cells"] == names
    assert client.submit(ld.lua("plus_base"), 1, workers=[new]).result() == 11
    client.cluster.scale(2)
    wait_for(lambda: len(client.scheduler_info()["workers"]) == 2)


def test_a_killed_worker_is_retried_elsewhere_and_the_result_is_right(attached, client):
    run(
        attached,
        "%%lua --workers\nfunction slow_sum(part)\n  local s = 0\n"
        "  for _, v in ipairs(part) do s = s + v end\n"
        "  local t = os.clock() + 0.3 while os.clock() < t do end\n  return s\nend",
    ).raise_error()
    values = list(range(400))
    futures = client.compute(
        db.from_sequence(values, npartitions=16)
        .map_partitions(lambda part: [ld.lua("slow_sum")(list(part))])
        .sum()
    )
    wait_for(lambda: any(client.processing().values()))
    time.sleep(0.5)
    busy = next(a for a, keys in client.processing().items() if keys)
    pid = client.run(os.getpid, workers=[busy])[busy]
    os.kill(pid, signal.SIGKILL)
    assert futures.result(timeout=120) == sum(values)
    wait_for(lambda: len(client.scheduler_info()["workers"]) == 2)
    names = [cell.chunk_name for cell in cluster_of(attached).cells]
    wait_for(lambda: all(s.get("cells") == names for s in client.run(describe_state).values()))
