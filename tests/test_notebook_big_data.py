"""notebooks/big-data-by-reference.ipynb runs top to bottom and shows its results."""

from __future__ import annotations

import re

import nbformat
import pytest

from tests.notebook_helpers import NOTEBOOKS, cell_containing, execute_notebook, stream_text

pytestmark = pytest.mark.notebook

NOTEBOOK = NOTEBOOKS / "big-data-by-reference.ipynb"
RECORDS = 200_000


@pytest.fixture(scope="module")
def notebook() -> nbformat.NotebookNode:
    """The notebook, run once top to bottom for every test here."""
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    execute_notebook(notebook)
    return notebook


def test_big_data_notebook_works_on_python_data_from_lua(notebook: nbformat.NotebookNode) -> None:
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    outputs = [stream_text(cell) for cell in code]
    high = sum(1 for i in range(RECORDS) if i % 97 / 97.0 > 0.5)
    assert f"records\t{RECORDS}\thigh scores\t{high}" in outputs[1]
    total = sum(i % 97 / 97.0 for i in range(RECORDS))
    assert outputs[2].strip() == f"sum {total:.3f}"
    assert "first score now 1.0" in outputs[3]
    assert outputs[5].splitlines() == [str(RECORDS), "t0"]  # the fb.python snippet


def test_big_data_notebook_runs_fblualibs_readme_example(notebook: nbformat.NotebookNode) -> None:
    cell = cell_containing(notebook, "local t1 = np.tri(10).transpose()")
    # the README's lines, unchanged (the tour adds the require before and a print after)
    assert "local t2 = py.eval(t1)" in cell.source
    view, top_right, bottom_left, total = stream_text(cell).strip().split("\t")
    assert view == "array view (float64, shape (10, 10))"
    assert (float(top_right), float(bottom_left), float(total)) == (1.0, 0.0, 55.0)


def test_big_data_notebook_times_lua_against_python_on_the_same_data(
    notebook: nbformat.NotebookNode,
) -> None:
    shown = stream_text(cell_containing(notebook, "print(f\"Python's loop")).splitlines()
    assert re.fullmatch(r"Python's loop: \d+\.\d{3} s", shown[0])
    assert re.fullmatch(r"Lua's loop: +\d+\.\d{3} s \(\d+x Python's\)", shown[1])
    assert shown[2] == "same total: True"
