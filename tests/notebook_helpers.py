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


def notebook_of(*sources: str) -> nbformat.NotebookNode:
    return new_notebook(cells=[new_code_cell(source) for source in sources])


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
