"""Explicit copies keep shared and cyclic references, both ways."""

from __future__ import annotations

import pytest

from ilupa.proxy import CopyError, to_lua, to_python
from ilupa.session import LuaSession


def test_shared_and_cyclic_python_data_copies_into_lua_tables(session: LuaSession) -> None:
    shared = {"x": 1}
    data: dict = {"a": shared, "b": shared, "items": [1, 2, 3]}
    data["self"] = data
    table = to_lua(data, session)
    session.globals.t = table
    assert session.run(
        "return rawequal(t.a, t.b), rawequal(t.self, t), t.items[1], #t.items", "c"
    ) == (
        True,
        True,
        1,
        3,
    )


def test_lua_tables_copy_into_python_keeping_cycles(session: LuaSession) -> None:
    (table,) = session.run("local s = {9} local t = {s, s, {k = 'v'}} t[4] = t return t", "c")
    copied = to_python(table, session)
    assert copied[0] is copied[1] and copied[0] == [9]
    assert copied[2] == {"k": "v"}
    assert copied[3] is copied


def test_uncopyable_keys_are_clear_errors(session: LuaSession) -> None:
    with pytest.raises(CopyError, match="key cannot be"):
        to_lua({None: 1}, session)


def test_round_trip_keeps_values(session: LuaSession) -> None:
    data = {"n": [1, 2.5, "x", True], "m": {"k": [[]]}}
    assert to_python(to_lua(data, session), session) == {"n": [1, 2.5, "x", True], "m": {"k": [{}]}}
