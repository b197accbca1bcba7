"""`%lua_memory` in a notebook: the gauge shows the text line's figure, under an uncut label."""

from __future__ import annotations

import pytest

from tests.notebook_helpers import execute_notebook, notebook_of, stream_text

pytestmark = pytest.mark.notebook

WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def test_gauge_shows_the_figure_of_the_text_line_under_its_whole_label() -> None:
    notebook = notebook_of(
        "%load_ext ilupa\n%config LuaMagics.memory_limit = '64MB'",
        "%%lua\nbig = {}\nfor i = 1, 200000 do big[i] = i end",
        "%lua_memory",
    )
    execute_notebook(notebook)
    text = stream_text(notebook.cells[2])
    figures = text.splitlines()[0].split(";")[0]  # "3.1 MiB used of 61.0 MiB (5.1%)"
    assert " used of " in figures
    models = notebook.metadata["widgets"][WIDGET_STATE]["state"]
    by_name: dict[str, list[dict]] = {}
    for model in models.values():
        by_name.setdefault(model["model_name"], []).append(model["state"])
    (label,) = by_name["LabelModel"]
    assert label["value"] == figures
    (bar,) = by_name["FloatProgressModel"]
    assert bar["description"] == "Lua memory"
    styles = [s for s in by_name["ProgressStyleModel"] if s["description_width"] == "initial"]
    assert len(styles) == 1  # the bar's style: its description is never cut
    assert not figures.endswith("(0.0%)")
    share = float(figures.rsplit("(", 1)[1].rstrip("%)")) / 100
    assert bar["value"] == pytest.approx(share, abs=0.0005)
