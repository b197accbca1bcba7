"""notebooks/lua-kernel.ipynb runs top to bottom on the ilupa kernel and shows what it says."""

from __future__ import annotations

import nbformat
import pytest

import tests.kernel_support  # noqa: F401  (installs the kernelspec first)
from tests.notebook_helpers import (
    cell_containing,
    error_output,
    result_text,
    run_tour_notebook,
    stream_text,
)

pytestmark = pytest.mark.notebook


@pytest.fixture(scope="module")
def tour() -> nbformat.NotebookNode:
    return run_tour_notebook("lua-kernel.ipynb", timeout=120)


def test_it_runs_on_the_ilupa_kernel_in_lua(tour):
    assert tour.metadata.kernelspec.name == "ilupa"
    assert tour.metadata.language_info.name == "lua"
    assert "runtime luajit21" in stream_text(cell_containing(tour, "%lua --version"))


def test_lua_cells_print_and_have_values(tour):
    cell = cell_containing(tour, "function fib")
    assert stream_text(cell) == "fib(20) =\t6765\n"
    assert result_text(cell) == "75025"
    scores = cell_containing(tour, "scores = {")
    html = [o["data"]["text/html"] for o in scores.outputs if o["output_type"] == "execute_result"]
    assert html and "python" in html[0] and "<table" in html[0]


def test_python_and_lua_share_their_data(tour):
    py_cell = cell_containing(tour, "lua_fib = %lua fib(10)")
    assert "seen from Python: 55" in stream_text(py_cell)
    assert result_text(cell_containing(tour, "mean = total")) == "4.625"
    assert result_text(cell_containing(tour, "statistics.mean")) == "(4.625, 4.625, 0.5)"


def test_completion_and_inspection_show_what_tab_and_shift_tab_give(tour):
    text = stream_text(cell_containing(tour, "complete_lua"))
    assert "Tab after 'string.fo': ['format']" in text
    assert "'mean'" in text and "'median'" in text
    assert "fib: Lua function defined in" in text and "return fib(n - 1)" in text


def test_the_stop_button_stops_the_loop_and_keeps_the_state(tour):
    stopped = cell_containing(tour, "py.press_stop_in(1)")
    assert "raises-exception" in stopped.metadata.tags
    assert error_output(stopped)["ename"] == "KeyboardInterrupt"
    after = cell_containing(tour, "nothing was lost")
    assert stream_text(after) == "the loop ran\tmany times\n"
    assert result_text(after) == "(55, 3, 4.625)"
