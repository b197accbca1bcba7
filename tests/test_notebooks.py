"""Notebooks run top to bottom in a real Python kernel through nbclient."""

from __future__ import annotations

import nbformat
import pytest
from nbclient.exceptions import CellExecutionError

from tests.notebook_helpers import (
    cell_containing,
    error_output,
    execute_notebook,
    notebook_of,
    result_text,
    run_tour_notebook,
    stream_text,
)

pytestmark = pytest.mark.notebook


@pytest.fixture(scope="module")
def quickstart() -> nbformat.NotebookNode:
    return run_tour_notebook("quickstart.ipynb")


def test_quickstart_shows_lua_print_and_cell_value(quickstart):
    cell = cell_containing(quickstart, "function fib")
    assert stream_text(cell) == "fib(20) =\t6765\n"
    assert result_text(cell) == "75025"


def test_quickstart_names_the_runtime(quickstart):
    assert "LuaJIT 2.1 (runtime luajit21" in stream_text(cell_containing(quickstart, "--version"))


def test_quickstart_silenced_cell_has_no_result(quickstart):
    cell = cell_containing(quickstart, "squares;")
    assert not [o for o in cell.outputs if o["output_type"] == "execute_result"]


def test_quickstart_line_magic_value_reaches_python(quickstart):
    assert result_text(cell_containing(quickstart, "total = %lua")) == "26"


def test_quickstart_changes_made_in_lua_are_seen_in_python(quickstart):
    cell = cell_containing(quickstart, "words, scores")
    assert result_text(cell) == "(['LUA', 'and', 'python'], {'lua': 1, 'python': 2})"


def test_quickstart_output_keeps_lua_and_python_order(quickstart):
    cell = cell_containing(quickstart, 'py.shout("second")')
    assert stream_text(cell) == "lua first\npython says second\nlua third\n"


def test_quickstart_error_names_cell_line_and_source(quickstart):
    error = error_output(cell_containing(quickstart, "t.field"))
    assert error["ename"] == "LuaRuntimeError"
    assert "attempt to index" in error["evalue"]
    assert ":3:" in error["evalue"]  # the cell's line 3: line 1 is `%%lua`
    assert "print(t.field)" in "\n".join(error["traceback"])


def test_quickstart_state_survives_the_error(quickstart):
    assert result_text(cell_containing(quickstart, "%lua fib(10)")) == "(55, 'hello from Lua 5.1')"


def test_failing_lua_cell_stops_a_notebook_run():
    notebook = notebook_of(
        "%load_ext ilupa",
        "%lua before = 1",
        "%%lua\nerror('stop here')",
        "%lua after = 1",
    )
    with pytest.raises(CellExecutionError, match="stop here"):
        execute_notebook(notebook)
    assert notebook.cells[3].outputs == []


def test_lua_output_goes_to_the_cell_not_the_kernel_terminal():
    notebook = notebook_of(
        "%load_ext ilupa",
        "%%lua\nprint('printed')\nio.write('written\\n')\nio.stderr:write('warned\\n')",
    )
    execute_notebook(notebook)
    cell = notebook.cells[1]
    assert stream_text(cell, "stdout") == "printed\nwritten\n"
    assert stream_text(cell, "stderr") == "warned\n"
