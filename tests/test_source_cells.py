"""Finding a Lua cell's value and its silencing `;` in the source."""

from __future__ import annotations

import pytest

from ilupa.session import LuaSession
from ilupa.source.cells import (
    TAIL_WINDOW,
    VALUES_FUNCTION,
    _tail_tokens,
    _trailing_value,
    blank_comments,
    ends_with_semicolon,
    ends_with_write_call,
)
from ilupa.source.cells import with_trailing_value as rewrite
from ilupa.source.lexer import tokens as lua_tokens
from ilupa.source.loop_checks import may_repeat, with_loop_checks


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


# A cell past TAIL_WINDOW is read from its tail: the tail's answers must be the whole
# cell's. Each cell below puts what decides across the tail's start.
FILLER = "x = 1\n" * 2000  # 12 KB of plain statements
BIG_CELLS = {
    "plain-then-value": FILLER + "x + 1",
    "plain-then-statement": FILLER + "y = 2",
    "table-across-the-tail": "t = {\n" + "1,\n" * 5000 + "}\nreturn t",
    "value-table-across-the-tail": FILLER + "{\n" + "1,\n" * 5000 + "}",
    "function-across-the-tail": "function f()\n" + "  local a = 1\n" * 2000 + "end\nf()",
    "long-string-across-the-tail": "s = [[\n" + "x\n" * 8000 + "]]\ns",
    "long-comment-across-the-tail": "--[==[\n" + "x = 1\n" * 2000 + "]==]\ny = 3\ny",
    "statement-goes-on": FILLER + "x = 10\n- 1",
    "call-goes-on": FILLER + "print\n('a')",
    "semicolon": FILLER + "x;",
    "write-call": FILLER + "io.write(\n" + "'a',\n" * 3000 + "'b')",
    "unfinished-long-string": FILLER + "s = [[ never closed\n" + "x\n" * 3000,
}


@pytest.mark.parametrize("name", sorted(BIG_CELLS))
def test_a_big_cell_is_read_from_its_tail_as_it_is_read_whole(compiles, name):
    code = BIG_CELLS[name]
    assert len(code) > TAIL_WINDOW
    whole = lua_tokens(code)
    assert rewrite(code, compiles) == _trailing_value_whole(code, whole, compiles)
    assert ends_with_semicolon(code) == (bool(whole) and whole[-1].is_(";"))
    assert ends_with_write_call(code) == (name == "write-call")


def _trailing_value_whole(code, found, compiles):
    result = _trailing_value(code, found, compiles, False)
    return result if isinstance(result, str) else None


def test_a_big_cell_of_short_lines_is_lexed_only_at_its_end():
    """A 10 MB cell took 52 s on luajit21 (every read lexed it whole, in Python);
    benchmarks/bench_big_cell.py times it now."""
    code = "x = 1\n" * 200_000
    found, partial = _tail_tokens(code, TAIL_WINDOW)
    assert partial
    assert len(found) < TAIL_WINDOW
    assert found == [t for t in lua_tokens(code) if t.start >= found[0].start]


@pytest.mark.parametrize(
    ("code", "checks"),
    [
        ("x = 1\n" * 10, False),
        ("s = 'do repeat'\n-- return goto", False),
        ("s = [[\nwhile true do end\n]]", False),
        ("redo = 1\nundo = dog", False),
        ("for i = 1, 2 do end", True),
        ("local f = function() return f() end", True),
        (f"local {VALUES_FUNCTION} = ...; return {VALUES_FUNCTION}(1\n)", False),
    ],
)
def test_cells_without_loop_words_in_code_need_no_loop_rewrite(code, checks):
    assert may_repeat(code) == checks
    if not checks:
        assert with_loop_checks(code) == code
