"""Every dtype and memory layout of a numpy array reads and writes the same from Lua.

A view must show exactly what numpy shows, whatever the strides (C, Fortran,
steps, negative steps, zero strides from broadcasting) and the dtype, on every
runtime, and index errors must be Lua errors that leave the state usable.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from ilupa.errors import LuaRuntimeError
from ilupa.proxy.arrays import VIEW_DTYPES
from ilupa.session import LuaSession

pytestmark = pytest.mark.slow

# Every element of a 1-, 2- or 3-d view, in numpy's index order, as one flat Lua list.
FLATTEN = """
local out = {}
local function walk(v, depth)
  for i = 0, #v - 1 do
    if depth == 1 then out[#out + 1] = v[i] else walk(v[i], depth - 1) end
  end
end
walk(arr, arr.ndim)
return out
"""

LAYOUTS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "c-order 2-d": lambda a: a.reshape(4, 6),
    "fortran 2-d": lambda a: np.asfortranarray(a.reshape(4, 6)),
    "transposed": lambda a: a.reshape(4, 6).T,
    "step": lambda a: a[1::3],
    "negative step": lambda a: a[::-2],
    "2-d negative steps": lambda a: a.reshape(4, 6)[::-1, ::-2],
    "3-d sliced": lambda a: a.reshape(2, 3, 4)[:, ::2, 1:],
    "broadcast (zero stride)": lambda a: np.broadcast_to(a[:6], (3, 6)),
}


def sample(dtype: str) -> np.ndarray:
    """24 values of `dtype`, including its extremes where Lua numbers hold them exactly."""
    if dtype == "bool":
        return np.arange(24) % 3 == 0
    if dtype.startswith("float"):
        return (np.arange(24) - 12).astype(dtype) / 4
    info = np.iinfo(dtype)
    low, high = max(info.min, -(2**53)), min(info.max, 2**53)
    values = np.arange(24, dtype=np.int64) - (12 if info.min < 0 else 0)
    values[0], values[-1] = low, high
    return values.astype(dtype)


def flatten(session: LuaSession, array: np.ndarray) -> list:
    session.globals.arr = session.proxy.view(array)
    (table,) = session.run(FLATTEN, "flatten")
    return [table[i] for i in range(1, len(table) + 1)]


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", sorted(VIEW_DTYPES))
def test_every_dtype_and_layout_reads_what_numpy_shows(
    session: LuaSession, dtype: str, layout: str
) -> None:
    array = LAYOUTS[layout](sample(dtype))
    assert flatten(session, array) == array.ravel().tolist()


@pytest.mark.parametrize("layout", ["step", "negative step", "2-d negative steps", "transposed"])
@pytest.mark.parametrize("dtype", sorted(VIEW_DTYPES))
def test_writes_land_in_the_element_numpy_indexes(
    session: LuaSession, dtype: str, layout: str
) -> None:
    base = sample(dtype)
    array = LAYOUTS[layout](base)
    value = "true" if dtype == "bool" else "7"
    session.globals.arr = session.proxy.view(array)
    last = "[1]" * (array.ndim - 1)
    session.run(f"arr{last}[1] = {value}", "write")
    index = (1,) * array.ndim
    assert array[index] == (True if dtype == "bool" else 7)
    assert np.shares_memory(array, base)


def test_broadcast_views_are_read_only(session: LuaSession) -> None:
    session.globals.arr = session.proxy.view(np.broadcast_to(np.arange(3.0), (2, 3)))
    assert session.run("return arr.readonly, arr[1][2]", "ro") == (True, 2.0)
    with pytest.raises(LuaRuntimeError, match="read-only"):
        session.run("arr[0][0] = 1", "ro")


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("return arr[2]", r"array index 2 out of range \[0, 2\)"),
        ("return arr[-1]", "out of range"),
        ("return arr[0][3]", r"array index 3 out of range \[0, 3\)"),
        ("return arr[0.5]", "array index must be an integer, got 0.5"),
        ("return arr[true]", "array index must be an integer, got true"),
        ("arr[1][3] = 1", "out of range"),
        ("arr[0] = 1", "assign to an element"),
        ("arr[0][0] = 'x'", "must be a number or boolean, got string"),
    ],
)
def test_bad_indexes_are_lua_errors_that_keep_the_state(
    session: LuaSession, code: str, message: str
) -> None:
    array = np.arange(6.0).reshape(2, 3)
    session.globals.arr = session.proxy.view(array)
    session.run("kept = 41", "before")
    with pytest.raises(LuaRuntimeError, match=message) as error:
        session.run("local x = 1\n" + code, "bad")
    assert ":2:" in str(error.value)  # the line of the cell that indexed the view
    assert session.run("return kept + 1, arr[1][2]", "after") == (42, 5.0)
    np.testing.assert_array_equal(array, np.arange(6.0).reshape(2, 3))


def test_read_only_errors_cover_every_dimension(session: LuaSession) -> None:
    array = np.zeros((2, 2), dtype=np.int16)
    array.flags.writeable = False
    session.globals.arr = session.proxy.view(array)
    for code in ("arr[0][0] = 1", "arr[1][1] = 2"):
        with pytest.raises(LuaRuntimeError, match="read-only"):
            session.run(code, "ro")
    assert not array.any()


def test_views_have_shape_length_and_iteration(session: LuaSession) -> None:
    session.globals.arr = session.proxy.view(np.arange(12, dtype=np.int32).reshape(3, 4))
    code = """
    local rows, total = 0, 0
    for i, row in ipairs(arr) do
      rows = rows + 1
      for k, x in pairs(row) do total = total + x end
    end
    return #arr, #arr[0], arr.shape[1], arr.shape[2], arr.ndim, arr.dtype, rows, total,
      tostring(arr)
    """
    assert session.run(code, "shape") == (
        3,
        4,
        3,
        4,
        2,
        "int32",
        3,
        66,
        "array view (int32, shape (3, 4))",
    )


@pytest.mark.parametrize(
    "value",
    [np.array(1.5), np.arange(3) + 1j, np.array(["a"]), np.array([object()])],
    ids=["0-d", "complex", "str", "object"],
)
def test_arrays_without_a_view_stay_python_references(session: LuaSession, value) -> None:
    session.namespace["a"] = value
    assert session.run("return py.a", "ref") == (value,)
    assert session.run("return py.a", "ref")[0] is value
    with pytest.raises(TypeError, match="no array view for dtype"):
        session.proxy.view(value)
