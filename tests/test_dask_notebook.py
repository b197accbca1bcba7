"""The tour's sixth stop, notebooks/scale-out-with-dask.ipynb, run on a LocalCluster by nbclient."""

from __future__ import annotations

import nbformat
import pytest

pytest.importorskip("distributed")

from tests.notebook_helpers import (
    cell_containing,
    error_output,
    result_text,
    run_tour_notebook,
    stream_text,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def notebook() -> nbformat.NotebookNode:
    return run_tour_notebook("scale-out-with-dask.ipynb")


def test_the_cluster_has_two_workers_with_lua_states(notebook):
    assert result_text(cell_containing(notebook, "LocalCluster(")) == "2"
    attached = stream_text(cell_containing(notebook, "%lua_cluster client"))
    assert attached.startswith("Lua states on 2 Dask workers (runtime luajit21)")


def test_the_bag_total_equals_the_same_lua_in_one_process(notebook):
    on_cluster = result_text(cell_containing(notebook, "db.from_sequence"))
    in_one_process = result_text(cell_containing(notebook, "%%lua -i records"))
    expected = sum((i % 97) * 2 + i % 5 for i in range(100_000))
    assert on_cluster == in_one_process == str(expected)


def test_blocks_and_partitions_match_numpy_and_pandas(notebook):
    assert result_text(cell_containing(notebook, "map_blocks")) == "True"
    assert result_text(cell_containing(notebook, "map_partitions")) == "True"


def test_a_worker_error_names_cell_line_and_worker_and_the_next_task_runs(notebook):
    error = error_output(cell_containing(notebook, 'ld.lua("checked"), -4'))
    assert error["ename"] == "LuaRuntimeError"
    assert "negative input: -4" in error["evalue"]
    shown = "\n".join(error["traceback"])
    assert "line 2" in shown and "error('negative input: ' .. x)" in shown
    assert "on Dask worker tcp://127.0.0.1:" in shown
    assert result_text(cell_containing(notebook, 'ld.lua("checked"), 16')) == "4"


def test_a_worker_that_joined_ran_the_worker_cells_in_order(notebook):
    lines = stream_text(cell_containing(notebook, "cluster.scale(3)")).splitlines()
    assert len(lines) == 3
    cells_run = {line.rsplit("; ran ", 1)[1] for line in lines}
    assert len(cells_run) == 1
    assert cells_run.pop().count("In[") == 2
