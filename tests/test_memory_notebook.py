"""The seed scenario as a notebook, executed by nbclient: refused copy, working reference."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

pytestmark = pytest.mark.notebook

NOTEBOOK = Path(__file__).parent.parent / "notebooks" / "memory-warnings.ipynb"


def text_of(cell: nbformat.NotebookNode) -> str:
    parts = []
    for output in cell.get("outputs", []):
        parts.append(output.get("text", ""))
        parts.append(output.get("data", {}).get("text/plain", ""))
        parts.append(output.get("ename", ""))
        parts.append(output.get("evalue", ""))
    return "\n".join(parts)


def test_memory_notebook_refuses_the_copy_warns_and_the_reference_works() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    cells = {cell.source.splitlines()[0]: cell for cell in notebook.cells if cell.source}
    refused = text_of(cells["%%lua -c data"])
    assert "LuaCopyRefused" in refused and "refused" in refused
    assert "budget" in refused and "by reference" in refused
    assert text_of(cells["%%lua -i data"]).strip().startswith("24997500")
    growth = text_of(cells["growth = session.memory.used() - before"])
    assert "Lua memory growth:" in growth
    building = cells["%%lua"]  # the big table; the warning waited for its line to end
    first, second = building.outputs[:2]
    assert first["name"] == "stdout" and first["text"] == "building a big table... done\n"
    assert second["output_type"] == "display_data"
    assert "still running" in second["data"]["text/plain"]
    assert "big: 280,000 entries" in text_of(building)
    summary = text_of(cells["%lua_memory"])
    assert "warning at 75%" in summary and "budget: 30.5 MiB" in summary
    gauges = [
        output
        for output in cells["%lua_memory"].outputs
        if "application/vnd.jupyter.widget-view+json" in output.get("data", {})
    ]
    assert gauges and "FloatProgress" in gauges[0]["data"]["text/plain"]
