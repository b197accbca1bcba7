"""Fast copies between 1-d numpy arrays and Lua tables, for every dtype on every runtime."""

from __future__ import annotations

import numpy as np
import pytest

from ilupa.proxy import CopyError
from ilupa.proxy.arrays import VIEW_DTYPES
from ilupa.session import LuaSession


def values_of(dtype: str) -> np.ndarray:
    if dtype == "bool":
        return np.arange(9000) % 3 == 0
    if dtype.startswith("float"):
        return (np.arange(9000) / 8).astype(dtype)
    info = np.iinfo(dtype)
    return (np.arange(9000) % min(int(info.max), 10_000)).astype(dtype)


@pytest.mark.parametrize("dtype", sorted(VIEW_DTYPES))
def test_every_dtype_round_trips_through_a_lua_table(session: LuaSession, dtype: str) -> None:
    array = values_of(dtype)
    table = session.proxy.table_from_array(array)
    assert len(table) == len(array)
    assert [table[1], table[len(array)]] == [array[0].item(), array[-1].item()]
    back = session.proxy.array_from_table(table, dtype)
    assert back.dtype == array.dtype
    np.testing.assert_array_equal(back, array)


@pytest.mark.parametrize(
    "make",
    [lambda a: a[::3], lambda a: a[::-1], lambda a: a.astype(">f8"), lambda a: a[:0]],
    ids=["step", "reversed", "big-endian", "empty"],
)
def test_strided_swapped_and_empty_arrays_convert(session: LuaSession, make) -> None:
    array = make(np.linspace(-1, 1, 5001))
    table = session.proxy.table_from_array(array)
    assert [table[i] for i in range(1, len(table) + 1)] == array.tolist()


def test_conversions_from_lua_code(session: LuaSession) -> None:
    session.namespace["a"] = np.array([1.5, 2.5, 3.5])
    code = """
    local t = ilupa.totable(py.a)
    local v = ilupa.toarray({4, 5, 6}, 'int16')
    return type(t), t[1], #t, v.dtype, v[2], #v
    """
    assert session.run(code, "c") == ("table", 1.5, 3, "int16", 6, 3)


@pytest.mark.parametrize(
    ("code", "position", "kind"),
    [
        ("{1, 2, 'x'}", 3, "string"),
        ("{1, {}, 3}", 2, "table"),
        ("{1, 2, true}", 3, "boolean"),
        ("{1, nil, 3}", 2, "nil"),
    ],
)
def test_non_numbers_are_named_in_the_error(
    session: LuaSession, code: str, position: int, kind: str
) -> None:
    table = session.lua.eval(code)
    if len(table) != 3:  # this runtime's # stops at the hole: the numbers before it convert
        assert session.proxy.array_from_table(table).tolist() == [1]
        return
    with pytest.raises(CopyError, match=f"element {position} of the table is {kind}, not a number"):
        session.proxy.array_from_table(table)


def test_booleans_fill_bool_arrays(session: LuaSession) -> None:
    back = session.proxy.array_from_table(session.lua.eval("{true, false, 1, 0}"), "bool")
    assert back.tolist() == [True, False, True, False]


def test_multi_dimensional_arrays_are_refused(session: LuaSession) -> None:
    with pytest.raises(CopyError, match="1-d numeric array"):
        session.proxy.table_from_array(np.zeros((2, 2)))
