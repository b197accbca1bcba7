"""notebooks/profiling.ipynb runs top to bottom and shows what its text promises.

The first profile names the closure's line and LuaJIT's reason for not
compiling the loop; the fixed loop has no abort and is mostly compiled code;
`%lua_profile -r` hands Python the `Profile`.
"""

from __future__ import annotations

import re

import nbformat
import pytest

from tests.notebook_helpers import cell_containing, result_text, run_tour_notebook

pytestmark = pytest.mark.notebook


@pytest.fixture(scope="module")
def profiling() -> nbformat.NotebookNode:
    return run_tour_notebook("profiling.ipynb")


def _report(cell: nbformat.NotebookNode) -> str:
    """The profile's text: the display's text/plain (a notebook shows its HTML)."""
    texts = [
        output["data"]["text/plain"]
        for output in cell.outputs
        if output.get("output_type") == "display_data" and "text/html" in output["data"]
    ]
    assert len(texts) == 1
    return texts[0]


def _compiled_share(report: str) -> float:
    match = re.search(r"compiled (\d+)%", report)
    return float(match.group(1)) if match else 0.0


def test_the_closure_in_the_loop_is_named_as_the_trace_abort(profiling) -> None:
    cell = cell_containing(profiling, "local add = function(x) return x + i end")
    report = _report(cell)
    closure_line = cell.source.splitlines().index("  local add = function(x) return x + i end")
    # the chunk is placed at its editor line: the %%lua line is line 1
    assert re.search(rf"In\[\d+\]:{closure_line + 1}: NYI: bytecode FNEW", report)
    assert result_text(cell) == str(sum_of_the_loop(closure=True))


def test_the_fixed_loop_compiles(profiling) -> None:
    cell = cell_containing(profiling, "local function add(x, i) return x + i end")
    report = _report(cell)
    assert "trace aborts" not in report
    first = _report(cell_containing(profiling, "local add = function(x) return x + i end"))
    assert _compiled_share(report) > _compiled_share(first)
    assert result_text(cell) == str(sum_of_the_loop(closure=False))


def test_the_profile_comes_to_python(profiling) -> None:
    assert result_text(cell_containing(profiling, "%lua_profile -r")) == "(True, [])"


def sum_of_the_loop(closure: bool) -> int:
    """The total both loops compute, in Python (the closure changes nothing but speed)."""
    total = 0
    for i in range(1, 3_000_001):
        total = (total + i) % 1000
    return total
