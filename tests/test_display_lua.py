"""`display`, `update_display`, `clear_output` and `display_image` called from Lua cells."""

from __future__ import annotations

import numpy as np
import pytest
from IPython.utils.capture import capture_output

from ilupa.display.image import png_bytes, to_pixels
from tests.conftest import run
from tests.png_reading import decode_png


def lua_cell(shell, code: str):
    with capture_output() as captured:
        run(shell, "%%lua -n\n" + code).raise_error()
    return captured


def test_display_of_a_table_publishes_its_html_and_text(shell):
    captured = lua_cell(shell, "display({answer = 42})")
    (output,) = captured.outputs
    assert output.data["text/plain"] == "{answer = 42}"
    assert "<th>answer</th><td>42</td>" in output.data["text/html"]


def test_display_of_a_python_object_keeps_its_rich_repr(shell):
    run(shell, "from IPython.display import HTML; page = HTML('<b>bold</b>')").raise_error()
    captured = lua_cell(shell, "display(py.page)")
    assert captured.outputs[0].data["text/html"] == "<b>bold</b>"


def test_display_of_plain_values(shell):
    captured = lua_cell(shell, "display(1.5) display('text') display(nil)")
    assert [o.data["text/plain"] for o in captured.outputs] == ["1.5", "'text'", "None"]


def test_display_id_then_update_display_replaces_in_place(shell):
    captured = lua_cell(
        shell, "display({n = 1}, {display_id = 'counter'}) update_display({n = 2}, 'counter')"
    )
    first, second = captured.outputs
    assert first.transient == {"display_id": "counter"}
    assert not first.update
    assert second.transient == {"display_id": "counter"}
    assert second.update
    assert "<td>2</td>" in second.data["text/html"]


def test_display_returns_a_handle_lua_can_update(shell):
    captured = lua_cell(
        shell, "local h = display('first', {display_id = true})\nh.update('second')"
    )
    first, second = captured.outputs
    assert (first.data["text/plain"], second.data["text/plain"]) == ("'first'", "'second'")
    assert second.update
    assert first.transient["display_id"] == second.transient["display_id"]


def test_display_refuses_unknown_options(shell):
    result = run(shell, "%%lua\ndisplay(1, {dispaly_id = 'x'})")
    assert "unknown option" in str(result.error_in_exec)


def test_clear_output_removes_what_was_shown_before(shell):
    captured = lua_cell(shell, "display('before') clear_output() display('after')")
    assert [o.data["text/plain"] for o in captured.outputs] == ["'after'"]


def test_display_image_of_a_numpy_array_passed_by_reference(shell):
    shell.user_ns["gradient"] = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20
    captured = lua_cell(shell, "display_image(py.gradient)")
    pixels = decode_png(captured.outputs[0].data["image/png"])
    assert pixels[:, :, 0].tolist() == shell.user_ns["gradient"].tolist()


def test_display_image_of_a_lua_table_of_rgb_rows(shell):
    captured = lua_cell(shell, "display_image({{{255, 0, 0}, {0, 255, 0}}}, {width = 100})")
    output = captured.outputs[0]
    pixels = decode_png(output.data["image/png"])
    assert pixels.tolist() == [[[255, 0, 0], [0, 255, 0]]]
    assert output.metadata["image/png"]["width"] == 100


def test_float_images_are_scaled_to_bytes():
    assert to_pixels(np.array([[0.0, 1.0]]))[:, :, 0].tolist() == [[0, 255]]
    assert to_pixels(np.array([[-1.0, 1.0]]))[:, :, 0].tolist() == [[0, 255]]
    assert decode_png(png_bytes(np.ones((2, 2, 4)))).shape == (2, 2, 4)


@pytest.mark.parametrize("shape", [(3,), (2, 2, 2), (2, 2, 5)])
def test_image_shapes_that_are_not_images_are_refused(shape):
    with pytest.raises(ValueError, match="an image needs shape"):
        to_pixels(np.zeros(shape))


def test_require_ipywidgets_gives_the_widgets_table(shell):
    run(shell, "%lua same = require('ipywidgets') == widgets").raise_error()
    run(shell, "%%lua -o same\nsame = require('ipywidgets') == widgets").raise_error()
    assert shell.user_ns["same"] is True


def test_display_globals_exist_after_lua_reset(shell):
    run(shell, "%lua_reset").raise_error()
    captured = lua_cell(shell, "display({1})")
    assert captured.outputs[0].data["text/plain"] == "{1}"
