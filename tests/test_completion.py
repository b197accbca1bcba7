"""Completion, inspection and is_complete against a live Lua state."""

from __future__ import annotations

import os
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ilupa.editor.completion import complete_lua, member_access, partial_name, require_argument
from ilupa.editor.inspection import inspect_lua
from ilupa.session import LuaSession
from ilupa.source.syntax import check_complete


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


NAME = r"[A-Za-z_][A-Za-z0-9_]*"
# What completion read before it scanned backwards: regular expressions anchored at the
# text's end (`\Z`; the old `$` also matched before a final newline, so a cursor at
# the start of a fresh line completed the previous line's last word).
ANCHORED = {
    "require": (re.compile(r"""\brequire\s*\(?\s*["']([\w.\-]*)\Z"""), require_argument),
    "member": (
        re.compile(rf"({NAME}(?:\s*\.\s*{NAME})*)\s*([.:])\s*({NAME}|)\Z"),
        member_access,
    ),
    "name": (re.compile(rf"({NAME}|)\Z"), partial_name),
}


def _anchored(kind: str, text: str) -> object:
    pattern, _ = ANCHORED[kind]
    found = pattern.search(text)
    if kind == "name":
        return found.group(1)  # type: ignore[union-attr]
    if kind == "require":
        return found.group(1) if found else None
    return found.groups() if found else None


@settings(max_examples=3000, deadline=None)
@given(
    st.text(alphabet="ab1_ .:\n\t(\"'-é", max_size=16),
    st.sampled_from(["", "require('", 'require "a.b-', "x . y", "a.b:c", "t.", "1a."]),
)
def test_backward_scans_read_what_the_anchored_patterns_read(head: str, tail: str) -> None:
    text = head + tail
    for kind, (_, scan) in ANCHORED.items():
        assert scan(text) == _anchored(kind, text), kind


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("x = " + "a" * 50_000, []),
        ('s = "' + "a" * 50_000 + '"\npri', ["print"]),
        ("-- " + "b" * 50_000 + "\nstring.fo", ["format"]),
        ("t" * 50_000 + ".x", []),
    ],
    ids=["identifier", "string", "comment", "chain"],
)
def test_a_long_token_before_the_cursor_completes(
    session: LuaSession, code: str, expected: list[str]
) -> None:
    """Tab after a 50 KB token took 93 s (quadratic); the kernel replies in
    tests/test_kernel_hardening.py, and benchmarks/bench_completion.py times it."""
    assert complete_lua(session, code).matches == expected
