"""In real notebooks, error reports name the cell's own lines, as the editor shows them."""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient

import tests.kernel_support  # noqa: F401  (installs the kernelspec first)
from tests.notebook_helpers import NOTEBOOKS, error_output, notebook_of

pytestmark = pytest.mark.notebook

FAILING_LUA = "local a = 1\nlocal b = 2\nerror('third line')"


def run_allowing_errors(notebook: nbformat.NotebookNode, kernel: str) -> None:
    NotebookClient(
        notebook,
        timeout=120,
        kernel_name=kernel,
        allow_errors=True,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    ).execute()


def report(cell: nbformat.NotebookNode) -> str:
    output = error_output(cell)
    return f"{output['ename']}: {output['evalue']}\n" + "\n".join(output["traceback"])


def test_python_notebook_counts_the_lua_magic_line() -> None:
    notebook = notebook_of(
        "%load_ext ilupa",
        "%%lua\n" + FAILING_LUA,
        "x = 1\ny = %lua error('from the line magic')",
    )
    run_allowing_errors(notebook, "python3")
    cell_report = report(notebook.cells[1])
    assert "line 4" in cell_report and "error('third line')" in cell_report
    assert ":4: in main chunk" in cell_report
    assert "line 1" in report(notebook.cells[2])


def test_ilupa_kernel_counts_lua_cells_from_line_one_and_lua_magic_cells_from_two() -> None:
    notebook = notebook_of(FAILING_LUA, "%%lua\n" + FAILING_LUA, "\n" + FAILING_LUA)
    run_allowing_errors(notebook, "ilupa")
    assert "line 3" in report(notebook.cells[0])
    assert "line 4" in report(notebook.cells[1])
    assert "line 4" in report(notebook.cells[2])  # a leading blank line is the cell's line 1
