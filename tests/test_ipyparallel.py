"""Lua cells on ipyparallel engines: `%px %load_ext ilupa`, then `%%px` cells holding `%%lua`.

Two engines are started by the test (`ipyparallel.Cluster`, on loopback);
each engine is an IPython kernel of its own, so each has its own Lua state.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

ipp = pytest.importorskip("ipyparallel")

from tests.conftest import run  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def engines() -> Iterator[ipp.DirectView]:
    cluster = ipp.Cluster(n=2, log_level=40)
    client = cluster.start_and_connect_sync()
    try:
        client.wait_for_engines(2, timeout=120)
        view = client[:]
        view.block = True  # %px waits for the engines and raises their errors
        yield view
    finally:
        client.close()
        cluster.stop_cluster_sync()


def test_px_lua_cells_run_on_every_engine_and_outputs_gather(shell, engines):
    engines.activate()  # registers %px and %%px in this shell, for these engines
    run(shell, "%px %load_ext ilupa").raise_error()
    engines.scatter("chunk", list(range(100)), block=True)
    run(
        shell,
        "%%px\n%%lua -i chunk -o part,squares,engine_lua\n"
        "part = 0\nsquares = {}\n"
        "for i, v in ipairs(chunk) do part = part + v; squares[i] = v * v end\n"
        "squares = ilupa.topython(squares)  -- a Python list: it can leave the engine\n"
        "engine_lua = _VERSION",
    ).raise_error()
    assert engines.pull("part", block=True) == [sum(range(50)), sum(range(50, 100))]
    assert engines.gather("squares", block=True) == [v * v for v in range(100)]
    assert len(engines.pull("engine_lua", block=True)) == 2


def test_px_lua_error_on_an_engine_is_reported(shell, engines):
    engines.activate()
    run(shell, "%px %load_ext ilupa").raise_error()
    result = run(shell, "%%px\n%%lua\nerror('engine says no')")
    assert result.error_in_exec is not None
    error = result.error_in_exec
    # %px has shown each engine's error already; it raises a summary of the originals
    assert isinstance(error, ipp.error.AlreadyDisplayedError)
    composite = error.original_error
    assert isinstance(composite, ipp.error.CompositeError)
    assert len(composite.elist) == 2  # both engines
    assert {ename for ename, *_ in composite.elist} == {"LuaRuntimeError"}
    assert all("engine says no" in evalue for _, evalue, *_ in composite.elist)


def test_pulling_a_live_lua_table_says_how_to_copy_it(shell, engines):
    """A table not copied with ilupa.topython cannot leave its engine: the error says so."""
    engines.activate()
    run(shell, "%px %load_ext ilupa").raise_error()
    run(shell, "%%px\n%%lua -n -o t\nt = {1, 2, 3}").raise_error()
    with pytest.raises(Exception) as raised:
        engines.pull("t", block=True)
    text = str(raised.value)
    assert "a Lua table cannot leave the Lua state that owns it" in text
    assert "ilupa.topython(t)" in text
    assert "__cinit__" not in text
    # the engines go on: the copy travels
    run(shell, "%%px\n%%lua -n -o t\nt = ilupa.topython(t)").raise_error()
    assert engines.pull("t", block=True) == [[1, 2, 3], [1, 2, 3]]
