"""Running notebooks through nbclient on a real kernel, and reading their outputs."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def execute_notebook(notebook: nbformat.NotebookNode, timeout: int = 300) -> None:
    """Run `notebook` in place on the kernel its metadata names (python3 by default)."""
    NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name=notebook.metadata.get("kernelspec", {}).get("name", "python3"),
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    ).execute()


def run_tour_notebook(name: str, timeout: int = 300) -> nbformat.NotebookNode:
    """Read notebooks/`name`, run it top to bottom and return it with its outputs."""
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    execute_notebook(notebook, timeout)
    return notebook


def notebook_of(*sources: str) -> nbformat.NotebookNode:
    return new_notebook(cells=[new_code_cell(source) for source in sources])


def cell_containing(notebook: nbformat.NotebookNode, text: str) -> nbformat.NotebookNode:
    """The first code cell whose source contains `text`."""
    return next(c for c in notebook.cells if c.cell_type == "code" and text in c.source)


def data_of(cell: nbformat.NotebookNode) -> list[dict]:
    """The mime bundles a cell displayed or returned, in order."""
    kinds = ("display_data", "execute_result")
    return [o["data"] for o in cell.outputs if o["output_type"] in kinds]


def stream_text(cell: nbformat.NotebookNode, name: str = "stdout") -> str:
    return "".join(
        o["text"] for o in cell.outputs if o["output_type"] == "stream" and o["name"] == name
    )


def result_text(cell: nbformat.NotebookNode) -> str:
    for output in cell.outputs:
        if output["output_type"] == "execute_result":
            return output["data"]["text/plain"]
    raise AssertionError(f"cell has no execute_result: {cell.outputs}")


def error_output(cell: nbformat.NotebookNode) -> nbformat.NotebookNode:
    for output in cell.outputs:
        if output["output_type"] == "error":
            return output
    raise AssertionError(f"cell has no error output: {cell.outputs}")
