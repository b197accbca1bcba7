"""notebooks/big-data-by-reference.ipynb runs top to bottom and shows its results."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).parent.parent / "notebooks" / "big-data-by-reference.ipynb"


def test_big_data_notebook_runs_and_reports_its_counts(tmp_path: Path) -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(notebook, timeout=120, kernel_name="python3")
    client.km_kwargs = {}
    client.kernel_spec_name = "python3"
    client.resources = {"metadata": {"path": str(tmp_path)}}
    client.km_kwargs = {
        "kernel_cmd": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    }
    client.execute()
    texts = [
        "".join(output.get("text", "") for output in cell.get("outputs", []))
        for cell in notebook.cells
        if cell.cell_type == "code"
    ]
    assert "records\t200000\thigh scores\t" in texts[1]
    assert texts[2].startswith("sum ")
    assert "first score now 1.0" in texts[3]
