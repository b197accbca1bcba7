"""Completion, inspection and is_complete against a live Lua state."""

from __future__ import annotations

import os

import pytest

from ilupa.completion import complete_lua
from ilupa.inspection import inspect_lua
from ilupa.lua_syntax import check_complete
from ilupa.session import LuaSession


@pytest.fixture(scope="module")
def session() -> LuaSession:
    lua = LuaSession("lua54", {"os_mod": os})
    lua.run(
        "t = {alpha = 1, run = function() end}\nfunction add(a, b)\n  return a + b\nend", "In[1]"
    )
    return lua


@pytest.mark.parametrize(
    ("code", "expected", "start"),
    [
        ("pri", ["print"], 0),
        ("whi", ["while"], 0),
        ("x = string.fo", ["format"], 11),
        ("t.al", ["alpha"], 2),
        ("t:", ["run"], 2),
        ("py.os_mod.sep", ["sep"], 10),
        ("local counter = 1\ncou", ["counter"], 18),
        ("require 'coro", ["coroutine"], 9),
    ],
)
def test_completion_offers_names_and_span(
    session: LuaSession, code: str, expected: list[str], start: int
) -> None:
    found = complete_lua(session, code)
    assert found.matches == expected
    assert (found.cursor_start, found.cursor_end) == (start, len(code))


def test_inspection_of_standard_lua_and_python_functions(session: LuaSession) -> None:
    assert inspect_lua(session, "string.format(").startswith("string.format(formatstring, ...)")
    assert "return a + b" in inspect_lua(session, "add")
    assert "In[1], lines 2-4" in inspect_lua(session, "add")
    assert "Signature: py.os_mod.getenv(key, default=None)" in inspect_lua(
        session, "py.os_mod.getenv"
    )
    assert inspect_lua(session, "no_such_name") is None


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("x = 1", "complete"),
        ("1 + 2", "complete"),
        ("for i = 1, 3 do", "incomplete"),
        ("s = [[open", "incomplete"),
        ("x = = 1", "invalid"),
    ],
)
def test_is_complete_uses_lua_parser(session: LuaSession, code: str, status: str) -> None:
    assert check_complete(session, code)[0] == status


def test_incomplete_block_suggests_deeper_indent(session: LuaSession) -> None:
    assert check_complete(session, "if x then\n  while y do") == ("incomplete", "    ")
