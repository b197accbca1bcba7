"""notebooks/big-data-by-reference.ipynb runs top to bottom and shows its results."""

from __future__ import annotations

import nbformat
import pytest

from tests.notebook_helpers import NOTEBOOKS, execute_notebook, stream_text

pytestmark = pytest.mark.notebook

NOTEBOOK = NOTEBOOKS / "big-data-by-reference.ipynb"
RECORDS = 200_000


def test_big_data_notebook_works_on_python_data_from_lua() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    execute_notebook(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    outputs = [stream_text(cell) for cell in code]
    high = sum(1 for i in range(RECORDS) if i % 97 / 97.0 > 0.5)
    assert f"records\t{RECORDS}\thigh scores\t{high}" in outputs[1]
    total = sum(i % 97 / 97.0 for i in range(RECORDS))
    assert outputs[2].strip() == f"sum {total:.3f}"
    assert "first score now 1.0" in outputs[3]
    assert outputs[5].splitlines() == [str(RECORDS), "t0"]  # the fb.python snippet
