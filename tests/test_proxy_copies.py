"""Explicit copies keep shared and cyclic references, both ways."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


def test_sharing_is_kept_below_containers_that_have_one_reference(session: LuaSession) -> None:
    # json.loads makes containers with a single reference each, which the C-API
    # copy on LuaJIT does not remember (they are met once); one shared below
    # them, and a cycle back to the root through them, must still be kept.
    data = json.loads('[{"a": {"b": [1, 2]}}, {"c": 3}]')
    inner = {"k": [5]}
    data[0]["x"] = inner
    data[1]["y"] = inner
    del inner
    session.namespace["data"] = data
    shared = """local t = ilupa.copy(py.data)
      return rawequal(t[1].x, t[2].y), rawequal(t[1].x.k, t[2].y.k), t[1].a.b[2], t[2].c,
        t[2].y.k[1], rawequal(t[1].a, t[2]), rawequal(t[1].a.b, t[1].x.k)"""
    assert session.run(shared, "shared") == (True, True, 2, 3, 5, False, False)
    data[1]["back"] = data
    cyclic = "local t = ilupa.copy(py.data) return rawequal(t[2].back, t), t[2].back[1].a.b[1]"
    assert session.run(cyclic, "cyclic") == (True, 1)


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


def test_a_list_containing_itself_copies_into_a_cyclic_table(session: LuaSession) -> None:
    data: list = [1, "two"]
    data.append(data)
    session.globals.t = to_lua(data, session)
    assert session.run("return #t, t[2], rawequal(t[3], t)", "c") == (3, "two", True)


def test_nested_arrays_and_tuples_copy_as_tables_of_numbers(session: LuaSession) -> None:
    data = {"grid": np.arange(6).reshape(2, 3), "pair": (np.float32(0.5), 2)}
    session.globals.t = to_lua(data, session)
    assert session.run("return #t.grid, t.grid[2][3], t.pair[1], type(t.pair[1])", "c") == (
        2,
        5,
        0.5,
        "number",
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({None: 1}, "key cannot be None"),
        ({float("nan"): 1}, "key cannot be nan"),
        ({"a": np.array([object()])}, r"value\['a'\]: cannot copy a numpy array of dtype object"),
    ],
    ids=["None key", "NaN key", "object array"],
)
def test_what_lua_cannot_hold_is_a_clear_copy_error(
    session: LuaSession, value: object, message: str
) -> None:
    session.run("kept = 'still here'", "before")
    with pytest.raises(CopyError, match=message):
        to_lua(value, session)
    assert session.run("return kept", "after") == ("still here",)


def test_too_deep_nesting_is_a_copy_error_not_a_crash(session: LuaSession) -> None:
    deep: list = []
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(CopyError, match="nested too deeply"):
        to_lua(deep, session)
    (table,) = session.run("local t = {} for i = 1, 100000 do t = {t} end return t", "deep")
    with pytest.raises(CopyError, match="nested too deeply"):
        to_python(table, session)


def test_copies_from_lua_code(session: LuaSession) -> None:
    session.namespace["data"] = {"xs": [1, 2]}
    code = """
    local t = ilupa.copy(py.data)
    local back = ilupa.topython({1, {k = 'v'}})
    return type(t), t.xs[1], #t.xs, back[1]['k']
    """
    assert session.run(code, "c") == ("table", 1, 2, "v")


def test_copy_errors_reach_lua_as_catchable_errors(session: LuaSession) -> None:
    session.namespace["bad"] = {None: 1}
    code = (
        "local ok, err = pcall(ilupa.copy, py.bad)"
        " return ok, tostring(err):find('key cannot be') ~= nil"
    )
    assert session.run(code, "c") == (False, True)


def test_records_reached_twice_stay_one_table(session: LuaSession) -> None:
    """Plain records are copied in chunks only when the list alone holds each one:
    a record that is also reached from elsewhere in the data stays one table."""
    rows = [{"id": i, "name": f"n{i}"} for i in range(3000)]
    data = {"rows": rows, "first": rows[0], "again": [rows[7], rows[7]]}
    table = session.proxy.copy_to_lua(data)
    session.globals.copied = table
    same = session.run(
        "return copied.rows[1] == copied.first, copied.again[1] == copied.again[2],"
        " copied.again[1] == copied.rows[8], #copied.rows, copied.rows[3000].name",
        "check",
    )
    assert same == (True, True, True, 3000, "n2999")
    plain = [{"id": i, "flag": i % 2 == 0, "none": None} for i in range(2500)]
    session.globals.plain = session.proxy.copy_to_lua(plain)
    assert session.run("return #plain, plain[2500].id, plain[2].flag, plain[1].none", "check") == (
        2500,
        2499,
        False,
        None,
    )


_LEAVES = st.one_of(
    st.integers(-(2**31), 2**31),
    st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: x != int(x)),
    st.text(max_size=5),
    st.booleans(),
)
_DATA = st.recursive(
    _LEAVES,
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=6),
        st.dictionaries(st.text(min_size=1, max_size=3), inner, min_size=1, max_size=4),
        st.lists(  # a list of records: the chunked path
            st.dictionaries(st.sampled_from("abc"), _LEAVES, min_size=1), min_size=1, max_size=40
        ),
    ),
    max_leaves=60,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=_DATA)
def test_copies_into_lua_come_back_equal(session: LuaSession, data: Any) -> None:
    table = session.proxy.copy_to_lua(data)
    assert session.proxy.copy_to_python(table) == data


def test_records_with_lists_keep_a_shared_list_one_table(session: LuaSession) -> None:
    tags = ["x", "y"]
    rows = [{"id": i, "tags": ["a", str(i)]} for i in range(2000)]
    rows[3]["tags"] = rows[4]["tags"] = tags  # one list in two records
    session.globals.copied = session.proxy.copy_to_lua(rows)
    assert session.run(
        "return copied[4].tags == copied[5].tags, copied[4].tags[2], copied[2000].tags[2],"
        " copied[1].tags == copied[2].tags",
        "check",
    ) == (True, "y", "1999", False)


def test_records_held_elsewhere_too_are_copied_in_chunks_and_stay_shared(
    session: LuaSession,
) -> None:
    """Python references to the records elsewhere (Lua's own, after a loop over them by
    reference) do not matter: what counts is where the copy meets them."""
    rows = [{"id": i, "tags": ["a", str(i)]} for i in range(3000)]
    also = list(rows)  # every record held twice in Python
    data = {"rows": rows, "again": [rows[10], rows[10]["tags"]], "copy": also}
    session.globals.copied = session.proxy.copy_to_lua(data)
    assert session.run(
        "return copied.again[1] == copied.rows[11], copied.again[2] == copied.rows[11].tags,"
        " copied.copy[3000] == copied.rows[3000], #copied.copy",
        "check",
    ) == (True, True, True, 3000)
