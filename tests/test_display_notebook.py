"""The widgets-from-Lua notebook and Lua callbacks, run in a real kernel through nbclient."""

from __future__ import annotations

import nbformat
import pytest

from tests.notebook_helpers import (
    cell_containing,
    data_of,
    execute_notebook,
    notebook_of,
    run_tour_notebook,
    stream_text,
)

pytestmark = pytest.mark.notebook

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


@pytest.fixture(scope="module")
def tour() -> nbformat.NotebookNode:
    return run_tour_notebook("widgets-from-lua.ipynb")


def test_tour_shows_tables_as_escaped_html(tour):
    shown = data_of(cell_containing(tour, "grid[i][j]"))
    html = "".join(d.get("text/html", "") for d in shown)
    assert "<th>languages</th>" in html
    assert "&lt;b&gt;escaped&lt;/b&gt;" in html
    assert "<tr><th>4</th><td>4</td><td>8</td><td>12</td><td>16</td><td>20</td></tr>" in html


def test_tour_big_table_is_truncated(tour):
    (shown,) = data_of(cell_containing(tour, "big[i] = i * i"))
    assert "#t = 1,000,000" in shown["text/html"]
    assert "showing 25, 999,975 more not shown" in shown["text/html"]


def test_tour_shows_images_as_png(tour):
    for marker in ("display_image(rows", "display_image(py.rings)"):
        (shown,) = data_of(cell_containing(tour, marker))
        assert shown["image/png"]


def test_tour_shows_widget_views(tour):
    for marker in ("widgets.VBox{slider, label}", "display(button)", "interact(function(v)"):
        assert any(WIDGET_VIEW in d for d in data_of(cell_containing(tour, marker))), marker


def test_tour_lua_observer_updates_the_label_when_python_moves_the_slider(tour):
    (shown,) = data_of(cell_containing(tour, "slider.value = 10"))
    assert shown["text/plain"] == "'fib(10) = 55'"


def test_tour_update_display_replaces_in_place(tour):
    (shown,) = data_of(cell_containing(tour, "update_display("))
    assert shown["text/plain"] == "'step 3 of 3'"


def test_in_a_kernel_a_callback_error_goes_to_its_output_area_and_later_calls_work():
    notebook = notebook_of(
        "%load_ext ilupa",
        "%%lua\nslider = widgets.IntSlider{}\nlabel = widgets.Label{''}\n"
        "slider:observe(function(c)\n"
        "  if c.new == 5 then error('five is not allowed') end\n"
        "  label.value = 'ok ' .. c.new\nend, 'value')",
        "from ilupa.display.widgets import last_callback_output\n"
        "slider = %lua slider\nslider.value = 5\nslider.value = 6\n"
        "text = %lua label.value\nprint(text)\n"
        "print(last_callback_output().outputs)",
    )
    execute_notebook(notebook)
    assert any(WIDGET_VIEW in d for d in data_of(notebook.cells[1]))  # the output area
    printed = stream_text(notebook.cells[2])
    assert printed.startswith("ok 6\n")
    assert "five is not allowed" in printed
    assert "'name': 'stderr'" in printed
