"""ipywidgets built and observed from Lua, callbacks fired by setting values from Python."""

from __future__ import annotations

import ipywidgets
from IPython.utils.capture import capture_output

from tests.conftest import lua_magics, run


def lua_cell(shell, code: str):
    with capture_output() as captured:
        run(shell, "%%lua -n\n" + code).raise_error()
    return captured


def lua_global(shell, name: str):
    return lua_magics(shell).session.globals[name]


def test_constructors_take_keywords_from_one_lua_table(shell):
    lua_cell(shell, "slider = widgets.IntSlider{min = 0, max = 10, value = 3, description = 'n'}")
    slider = lua_global(shell, "slider")
    assert isinstance(slider, ipywidgets.IntSlider)
    assert (slider.min, slider.max, slider.value, slider.description) == (0, 10, 3, "n")


def test_nested_tables_become_lists_and_dicts(shell):
    lua_cell(
        shell,
        "pick = widgets.Dropdown{options = {'a', 'b'}, value = 'b', layout = {width = '9em'}}",
    )
    pick = lua_global(shell, "pick")
    assert pick.options == ("a", "b")
    assert pick.value == "b"
    assert pick.layout.width == "9em"


def test_boxes_take_their_children_by_position(shell):
    lua_cell(shell, "a = widgets.Label{'a'} b = widgets.Label{'b'} box = widgets.HBox{a, b}")
    box = lua_global(shell, "box")
    assert [child.value for child in box.children] == ["a", "b"]


def test_displaying_a_widget_publishes_its_view(shell):
    captured = lua_cell(shell, "display(widgets.Button{description = 'go'})")
    assert "application/vnd.jupyter.widget-view+json" in captured.outputs[0].data


def test_an_observer_in_lua_runs_when_python_sets_the_value(shell):
    lua_cell(
        shell,
        "slider = widgets.IntSlider{value = 1}\n"
        "label = widgets.Label{''}\n"
        "slider:observe(function(change) label.value = 'square ' .. change.new ^ 2 end, 'value')",
    )
    lua_global(shell, "slider").value = 7
    assert lua_global(shell, "label").value in ("square 49", "square 49.0")


def test_dot_and_colon_calls_both_register_a_callback(shell):
    lua_cell(
        shell,
        "seen = {}\nslider = widgets.IntSlider{}\n"
        "slider.observe(function(c) seen[#seen + 1] = 'dot' end, 'value')\n"
        "slider:observe(function(c) seen[#seen + 1] = 'colon' end, 'value')",
    )
    lua_global(shell, "slider").value = 2
    assert sorted(lua_global(shell, "seen").values()) == ["colon", "dot"]


def test_on_click_calls_lua_with_the_button(shell):
    lua_cell(
        shell,
        "clicks = 0\nbutton = widgets.Button{description = 'add'}\n"
        "button:on_click(function(b)\n"
        "  clicks = clicks + 1; b.description = 'clicked ' .. clicks\n"
        "end)",
    )
    button = lua_global(shell, "button")
    button.click()
    button.click()
    assert lua_global(shell, "clicks") == 2
    assert button.description == "clicked 2"


def test_unobserve_with_the_same_lua_function_removes_only_that_observer(runtime_shell):
    lua_cell(
        runtime_shell,
        "seen = {}\nslider = widgets.IntSlider{}\n"
        "function first(c) seen[#seen + 1] = 'first ' .. c.new end\n"
        "function second(c) seen[#seen + 1] = 'second ' .. c.new end\n"
        "slider:observe(first, 'value')\nslider:observe(second, 'value')",
    )
    slider = lua_global(runtime_shell, "slider")
    slider.value = 1
    lua_cell(runtime_shell, "slider:unobserve(first, 'value')")
    slider.value = 2
    lua_cell(runtime_shell, "slider.unobserve(second, 'value')")  # the dot form
    slider.value = 3
    assert list(lua_global(runtime_shell, "seen").values()) == ["first 1", "second 1", "second 2"]


def test_observing_the_same_lua_function_twice_calls_it_once(shell):
    lua_cell(
        shell,
        "calls = 0\nslider = widgets.IntSlider{}\n"
        "function count(c) calls = calls + 1 end\n"
        "slider:observe(count, 'value')\nslider:observe(count, 'value')",
    )
    lua_global(shell, "slider").value = 4
    assert lua_global(shell, "calls") == 1


def test_on_click_with_remove_true_stops_a_lua_handler(shell):
    lua_cell(
        shell,
        "clicks = 0\nbutton = widgets.Button{}\n"
        "function add(b) clicks = clicks + 1 end\n"
        "button:on_click(add)",
    )
    button = lua_global(shell, "button")
    button.click()
    lua_cell(shell, "button:on_click(add, true)")
    button.click()
    assert lua_global(shell, "clicks") == 1


def test_a_callback_that_fails_once_reports_and_still_fires_next_time(shell):
    lua_cell(
        shell,
        "slider = widgets.IntSlider{}\nlabel = widgets.Label{''}\n"
        "slider:observe(function(change)\n"
        "  if change.new == 5 then error('five is not allowed') end\n"
        "  label.value = 'ok ' .. change.new\n"
        "end, 'value')",
    )
    slider, label = lua_global(shell, "slider"), lua_global(shell, "label")
    with capture_output() as captured:
        slider.value = 5
    assert "Error in Lua callback" in captured.stderr
    assert "five is not allowed" in captured.stderr
    slider.value = 6
    assert label.value == "ok 6"
    assert run(shell, "%lua 1 + 1").result == 2  # the shell and the Lua state are fine


def test_other_observers_still_run_after_a_lua_callback_fails(shell):
    lua_cell(
        shell,
        "after = nil\nslider = widgets.IntSlider{}\n"
        "slider:observe(function(c) error('first fails') end, 'value')\n"
        "slider:observe(function(c) after = c.new end, 'value')",
    )
    with capture_output():
        lua_global(shell, "slider").value = 3
    assert lua_global(shell, "after") == 3


def test_interact_passes_current_values_by_name(shell):
    lua_cell(
        shell,
        "results = {}\n"
        "w = interact(function(v) results[#results + 1] = v.x * 10 end, {x = {0, 10}})",
    )
    interactive = lua_global(shell, "w")
    (control,) = interactive.kwargs_widgets
    assert isinstance(control, ipywidgets.IntSlider)
    assert (control.min, control.max) == (0, 10)
    with capture_output():
        control.value = 4
    assert list(lua_global(shell, "results").values())[-1] == 40


def test_interact_error_is_reported_and_the_next_value_works(shell):
    lua_cell(
        shell,
        "last = nil\n"
        "w = interact(function(v)\n"
        "  if v.x == 4 then error('bad x') end last = v.x\n"
        "end, {x = {0, 5}})",
    )
    (control,) = lua_global(shell, "w").kwargs_widgets
    with capture_output() as captured:
        control.value = 4
    assert "bad x" in captured.stderr
    with capture_output():
        control.value = 3
    assert lua_global(shell, "last") == 3


def test_widgets_from_lua_are_still_the_ipywidgets_classes(shell):
    lua_cell(shell, "s = widgets.FloatSlider{}")
    slider = lua_global(shell, "s")
    assert isinstance(slider, ipywidgets.FloatSlider)
    assert type(slider).__name__ == "FloatSlider"
