"""ilupa's Lua lexer reads every lexical form the way each runtime's own lexer does."""

from __future__ import annotations

import importlib
import random

import pytest

from ilupa.source import lexer
from ilupa.source.lexer import (
    ERROR,
    KEYWORD,
    LUA51,
    LUA52_PLUS,
    LUAJIT,
    NAME,
    NUMBER,
    STRING,
    dialect_for,
    tokens,
    tokens_and_comments,
)


def texts(code: str, dialect=LUAJIT) -> list[str]:
    return [token.text for token in tokens(code, dialect)]


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ('x = "a\\z\n   do b"', ["x", "=", '"a\\z\n   do b"']),
        ("s = [==[ ]] do ]=] ]==] y", ["s", "=", "[==[ ]] do ]=] ]==]", "y"]),
        ("--[==[ do\n]] ]==] x", ["x"]),
        ("-- do [[\nx", ["x"]),
        ("a = 'it\\'s' .. \"q\\\"\"", ["a", "=", "'it\\'s'", "..", '"q\\""']),
        ("s = 'a\\\r\nb' x", ["s", "=", "'a\\\r\nb'", "x"]),
        (
            "x = 0x1p-4 + 1e+5 - 1LL * 0x10ULL / 3i",
            ["x", "=", "0x1p-4", "+", "1e+5", "-", "1LL", "*", "0x10ULL", "/", "3i"],
        ),
        (
            "a..5 .5 ... ~= // :: <= >= << >>",
            ["a", "..", "5", ".5", "...", "~=", "//", "::", "<=", ">=", "<<", ">>"],
        ),
    ],
)
def test_token_boundaries(code: str, expected: list[str]) -> None:
    found = tokens(code, LUAJIT)
    assert all(code[t.start : t.end] == t.text for t in found)
    assert [t.text for t in found] == expected


def test_goto_is_a_keyword_only_on_lua_52_and_later() -> None:
    assert [t.kind for t in tokens("goto x", LUA52_PLUS)] == [KEYWORD, NAME]
    assert [t.kind for t in tokens("goto x", LUAJIT)] == [NAME, NAME]
    assert [t.kind for t in tokens("goto x", LUA51)] == [NAME, NAME]
    assert dialect_for("lua51") is LUA51 and dialect_for("luajit20") is LUAJIT
    assert dialect_for("lua55") is LUA52_PLUS


def test_z_escape_skips_newlines_except_on_lua51() -> None:
    code = 'x = "a\\z\n b"'
    assert tokens(code, LUAJIT)[-1].kind == STRING
    assert tokens(code, LUA51)[2].kind == ERROR  # 5.1 ends the string at the newline


def test_comments_are_tokens_on_request() -> None:
    found = tokens_and_comments("x --[[ a\n]] -- b\ny")
    assert [t.kind for t in found] == [NAME, "comment", "comment", NAME]


def test_unfinished_forms_give_error_tokens_and_go_on() -> None:
    assert [t.kind for t in tokens('x = "open\ny = 1')] == [
        NAME,
        "operator",
        ERROR,
        NAME,
        "operator",
        NUMBER,
    ]
    assert tokens("s = [[ never closed")[-1].kind == ERROR
    assert tokens("$")[0].kind == ERROR


@pytest.mark.parametrize("runtime", ["lua51", "lua54", "luajit21"])
def test_strings_read_as_the_runtime_reads_them(runtime: str) -> None:
    """Each STRING token, loaded alone by the runtime, is the whole literal."""
    lua = importlib.import_module(f"lupa.{runtime}").LuaRuntime()
    code = "a = 'x\\'y' b = [=[ ]] ]=] c = \"\\65\\n\" d = [[\n]]"
    for token in tokens(code, dialect_for(runtime)):
        if token.kind == STRING:
            assert lua.eval(token.text) is not None


def test_linear_on_a_long_cell() -> None:
    code = "x = 1\n" + "+ 1\n" * 20_000
    assert len(tokens(code)) == 3 + 2 * 20_000


QUIET_PIECES = (
    "x = 1", 'print("a\\"b")', "s = 'it''s'", '-- comment "q', "--[[ long\n comment ]]",
    "s = [==[ long\n]] string ]==]", "a[[x]]", "y = x - -1", "z = 1e-5", '"unfinished',
    "--[[ never closed", "s = 'a\\z\n  b'", "s = 'a\\\nb'", "[=[ x", "a = b--c",
    "--[==[ x ]=] y\n ]==]", "t[ [=[k]=] ] = 1",
)  # fmt: skip


@pytest.mark.parametrize("dialect", [lexer.ANY, lexer.LUA51], ids=["any", "lua51"])
def test_lexing_from_a_quiet_line_start_gives_the_whole_cell_s_tail(dialect):
    """`quiet_line_start` finds a place outside every string and comment with the regex
    engine alone; the tokens from there are the whole cell's (big cells are read so)."""
    chooser = random.Random(29)
    for _ in range(600):
        code = "\n".join(chooser.choice(QUIET_PIECES) for _ in range(chooser.randint(1, 10)))
        whole = lexer.tokens(code, dialect)
        for before in range(0, len(code) + 1, 5):
            start = lexer.quiet_line_start(code, before, dialect)
            assert start <= before
            assert not any(t.start < start < t.end for t in whole), (code, start)
            tail = lexer.tokens_from(code, start, dialect)
            assert tail == [t for t in whole if t.start >= start], (code, start)
