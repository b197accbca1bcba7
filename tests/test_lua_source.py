"""Finding a Lua cell's value and its silencing `;` in the source."""

from __future__ import annotations

import pytest

from ilupa.lua_source import VALUES_FUNCTION, blank_comments, ends_with_semicolon
from ilupa.lua_source import with_trailing_value as rewrite
from ilupa.session import LuaSession


@pytest.fixture(scope="module")
def compiles():
    return LuaSession("lua54").compiles


def test_comments_are_blanked_and_strings_kept():
    code = 'a = "-- not a comment" -- comment\n--[==[ long\ncomment ]==] b = [[--]]'
    blanked = blank_comments(code)
    assert '"-- not a comment"' in blanked
    assert "comment\n" not in blanked.replace('"-- not a comment"', "")
    assert blanked.count("\n") == code.count("\n")
    assert blanked.endswith("b = [[--]]")


@pytest.mark.parametrize(
    ("code", "silenced"),
    [("x;", True), ("x; -- note", True), ("x", False), ('x = ";"', False), ("x;\n--[[;]]", True)],
)
def test_trailing_semicolon(code, silenced):
    assert ends_with_semicolon(code) is silenced


@pytest.mark.parametrize(
    "code",
    ["x = 1", "if x then\n  y()\nend", "for i = 1, 3 do end", "local a = 1", "return 1", ""],
)
def test_statements_have_no_value(compiles, code):
    assert rewrite(code, compiles) is None


@pytest.mark.parametrize(
    ("code", "expression"),
    [
        ("1 + 1", "1 + 1"),
        ("x = 1\nx * 2", "x * 2"),
        ("f()", "f()"),
        ("t = {\n}\n{\n 1,\n 2\n}", "{\n 1,\n 2\n}"),
        ("a = 1; a", "a"),
        ("x -- comment", "x"),
    ],
)
def test_trailing_expression_is_returned(compiles, code, expression):
    rewritten = rewrite(code, compiles)
    assert rewritten is not None
    assert rewritten.rstrip().endswith(f"return {VALUES_FUNCTION}({expression.rstrip()}\n)")


def test_rewrite_keeps_line_numbers(compiles):
    code = "a = 1\n\nb = 2\na + b"
    rewritten = rewrite(code, compiles)
    assert rewritten.split("\n")[3].startswith(f"return {VALUES_FUNCTION}(a + b")


@pytest.mark.parametrize(
    "code",
    [
        "x = 10\n  - 1",  # a binary minus: x is 9
        "y = f\n{1}",  # a call of f
        "y = f\n'abc'",
        "y = f\n(b)",
        "local goto\nx = 1",
        "x = 1\nreturn x",
        "::top:: goto top",
    ],
)
def test_no_value_where_the_last_line_continues_a_statement(compiles, code):
    assert rewrite(code, compiles) is None


@pytest.mark.parametrize(
    ("code", "expression"),
    [
        ("print(1)\n- 1", "- 1"),  # a call statement does not go on with `-`
        ("x = 1\nf\n'abc'", "f\n'abc'"),
        ("t = {}\n{1}", "{1}"),
        ("s = [[\n]] x = 1\n#s", "#s"),
        ("{1, 2} + f {1}", "{1, 2} + f {1}"),
    ],
)
def test_value_where_lua_ends_the_statement(compiles, code, expression):
    rewritten = rewrite(code, compiles)
    assert rewritten is not None
    assert rewritten.endswith(f"return {VALUES_FUNCTION}({expression}\n)")
