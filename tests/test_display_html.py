"""Lua tables as HTML through IPython's own text/html formatter."""

from __future__ import annotations

import time

import pytest

from ilupa.display.html import MAX_ENTRIES, lua_table_html
from ilupa.display.table_size import COUNT_LIMIT, table_size
from tests.conftest import lua_magics, run


def lua(shell, code: str):
    return lua_magics(shell).session.lua.eval(code)


def html_of(shell, value) -> str:
    data, _ = shell.display_formatter.format(value)
    return data["text/html"]


def test_a_lua_table_has_an_html_form_on_every_runtime(runtime_shell):
    html = html_of(runtime_shell, lua(runtime_shell, "{x = 1}"))
    assert '<div class="ilupa-table">' in html
    assert "<th>x</th><td>1</td>" in html


def test_a_cell_returning_a_table_gives_html_and_text(shell):
    run(shell, "%lua t = {10, 20}").raise_error()
    data, _ = shell.display_formatter.format(lua_magics(shell).session.globals.t)
    assert data["text/plain"] == "{10, 20}"
    assert "<th>2</th><td>20</td>" in data["text/html"]


def test_strings_are_escaped_so_script_renders_as_text(shell):
    html = html_of(shell, lua(shell, "{['<b>k</b>'] = '<script>alert(1)</script>'}"))
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;k&lt;/b&gt;" in html


class ScriptRepr:
    def __repr__(self) -> str:
        return "<script>alert('repr')</script>"

    __str__ = __repr__


def test_python_objects_in_a_lua_table_are_escaped(shell):
    shell.user_ns["evil"] = ScriptRepr()
    table = lua(shell, "function(x) return {held = x, ['<i>'] = {x}} end")(shell.user_ns["evil"])
    html = html_of(shell, table)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(" in html
    assert "&lt;i&gt;" in html


def test_an_array_shows_indexes_and_its_count(shell):
    html = html_of(shell, lua(shell, "{'a', 'b', 'c'}"))
    assert "Lua table, 3 entries" in html
    assert "<th>1</th><td>&quot;a&quot;</td>" in html


def test_an_array_of_rows_shows_as_a_grid(shell):
    html = html_of(shell, lua(shell, "{{1, 2, 3}, {4, 5, 6}}"))
    assert "<tr><th></th><th>1</th><th>2</th><th>3</th></tr>" in html
    assert "<tr><th>2</th><td>4</td><td>5</td><td>6</td></tr>" in html


def test_nested_tables_nest_and_stop_at_the_depth_limit(shell):
    html = html_of(shell, lua(shell, "{a = {b = {c = {d = {e = 1}}}}}"))
    assert html.count("<table>") == 3
    assert "{…}" in html


def test_long_tables_are_truncated_with_a_count_of_what_is_hidden(shell):
    html = html_of(
        shell, lua(shell, "(function() local t = {} for i = 1, 100 do t[i] = i end return t end)()")
    )
    assert "Lua table, 100 entries" in html
    assert f"showing {MAX_ENTRIES}, {100 - MAX_ENTRIES} more not shown" in html
    assert f"<th>{MAX_ENTRIES + 1}</th>" not in html


def test_a_million_entry_table_renders_bounded_and_says_its_count_is_partial(shell):
    big = lua(
        shell, "(function() local t = {} for i = 1, 1000000 do t[i] = i end t.x = 1 return t end)()"
    )
    html = html_of(shell, big)
    assert len(html) < 10_000
    assert "#t = 1,000,000 (other keys not counted)" in html


def test_a_large_hash_table_count_says_at_least(shell):
    table = lua(
        shell, "(function() local t = {} for i = 1, 20000 do t['k' .. i] = i end return t end)()"
    )
    size = table_size(table)
    assert not size.exact
    assert size.describe() == f"at least {COUNT_LIMIT:,} entries (count stopped)"
    assert "at least 10,000 entries" in lua_table_html(table)


def test_wide_nesting_is_bounded_by_a_total_cell_budget(shell):
    code = (
        "(function() local t = {} for i = 1, 30 do local r = {} "
        "for j = 1, 30 do r['k' .. j] = {j} end t['r' .. i] = r end return t end)()"
    )
    html = lua_table_html(lua(shell, code))
    assert "… (output limit)" in html
    assert len(html) < 200_000


@pytest.mark.parametrize(
    ("code", "shown"),
    [("{f = print}", "<i>Lua function</i>"), ("{n = 1.5, b = true}", "<td>1.5</td>")],
)
def test_non_table_values_have_a_readable_cell(shell, code, shown):
    assert shown in html_of(shell, lua(shell, code))


def test_a_table_with_tostring_shows_its_own_text_escaped(shell):
    table = lua(shell, "setmetatable({}, {__tostring = function() return '<me>' end})")
    assert "<code>&lt;me&gt;</code>" in html_of(shell, table)


def test_unloading_removes_the_html_form(shell):
    table = lua(shell, "{1}")
    run(shell, "%unload_ext ilupa").raise_error()
    data, _ = shell.display_formatter.format(table)
    assert "text/html" not in data


def test_the_text_form_of_a_million_entries_is_bounded_too(shell):
    big = lua(shell, "(function() local t = {} for i = 1, 1000000 do t[i] = i end return t end)()")
    started = time.perf_counter()
    text = shell.display_formatter.format(big)[0]["text/plain"]
    assert time.perf_counter() - started < 0.25
    assert text.endswith(", ... (many more)}")
