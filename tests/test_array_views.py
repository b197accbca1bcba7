"""numpy arrays seen from Lua as views over the same memory, on every runtime."""

from __future__ import annotations

import gc

import numpy as np
import pytest

from ilupa.errors import LuaRuntimeError
from ilupa.proxy import CopyError
from ilupa.proxy.arrays import VIEW_DTYPES
from ilupa.session import LuaSession
from tests.python_calls import python_calls_during

SUM_AND_SET = """
local v = ...
local s = 0
for i, x in ipairs(v) do s = s + (x == true and 1 or x == false and 0 or x) end
return s, #v
"""


def run(session: LuaSession, code: str, array: np.ndarray) -> tuple:
    session.globals.arr = session.proxy.view(array)
    return session.run(code, "test")


@pytest.mark.parametrize("dtype", sorted(VIEW_DTYPES))
def test_every_dtype_reads_and_writes_in_place(session: LuaSession, dtype: str) -> None:
    array = np.array([1, 0, 1, 1], dtype=dtype)
    total, length = run(
        session, "local v = arr; " + SUM_AND_SET.replace("local v = ...", ""), array
    )
    assert (total, length) == (3, 4)
    run(session, "arr[1] = 1", array)
    assert array[1] == 1


@pytest.mark.parametrize(
    "make",
    [
        lambda a: a[::2],
        lambda a: a[::-1],
        lambda a: np.asfortranarray(a.reshape(4, 5)).T,
        lambda a: a.reshape(4, 5)[:, 1],
    ],
    ids=["step", "reversed", "fortran-transposed", "column"],
)
def test_strided_views_index_like_numpy(session: LuaSession, make) -> None:
    array = make(np.arange(20.0))
    code = (
        "local v, out = arr, {} for i = 0, #v - 1 do"
        " out[#out+1] = v.ndim == 1 and v[i] or v[i][1] end return table.concat(out, ',')"
    )
    expected = array if array.ndim == 1 else array[:, 1]
    (text,) = run(session, code, array)
    assert [float(x) for x in text.split(",")] == expected.tolist()


def test_two_dimensional_indexing_and_shape(session: LuaSession) -> None:
    array = np.arange(6, dtype=np.int32).reshape(2, 3)
    assert run(
        session, "arr[1][2] = -1 return arr.ndim, arr.shape[1], arr.shape[2], arr[1][0]", array
    ) == (2, 2, 3, 3)
    assert array[1, 2] == -1


def test_out_of_range_is_a_lua_error(session: LuaSession) -> None:
    with pytest.raises(LuaRuntimeError, match="out of range"):
        run(session, "return arr[3]", np.zeros(3))
    with pytest.raises(LuaRuntimeError, match="out of range"):
        run(session, "arr[-1] = 1", np.zeros(3))


def test_read_only_arrays_stay_read_only(session: LuaSession) -> None:
    array = np.zeros(3)
    array.flags.writeable = False
    with pytest.raises(LuaRuntimeError, match="read-only"):
        run(session, "arr[0] = 1", array)
    assert array[0] == 0


def test_the_view_keeps_the_array_alive(session: LuaSession) -> None:
    array = np.arange(1000.0)
    session.globals.arr = session.proxy.view(array)
    del array
    gc.collect()
    session.run("local junk = {} for i = 1, 1000 do junk[i] = {} end collectgarbage()", "gc")
    assert session.run("return arr[999] + arr[0]", "test") == (999.0,)


def test_views_go_back_to_python_as_the_array(session: LuaSession) -> None:
    array = np.arange(3.0)
    session.namespace["a"] = array
    session.namespace["same"] = lambda x: x is array
    assert session.run("return py.same(py.a)", "test") == (True,)


def test_fast_conversions_round_trip(session: LuaSession) -> None:
    array = np.linspace(0, 1, 5001)
    table = session.proxy.table_from_array(array)
    assert len(table) == 5001 and table[1] == 0.0 and table[5001] == 1.0
    back = session.proxy.array_from_table(table)
    np.testing.assert_array_equal(back, array)


def test_conversion_refuses_non_numbers(session: LuaSession) -> None:
    with pytest.raises(CopyError, match="element 2 of the table is string"):
        session.proxy.array_from_table(session.lua.eval("{1, 'x', 3}"))


def test_cell_results_and_outputs_give_python_the_array_itself(runtime_shell) -> None:
    array = np.arange(4.0)
    runtime_shell.user_ns["a"] = array
    assert runtime_shell.run_line_magic("lua", "py.a") is array
    runtime_shell.run_cell_magic("lua", "-o v", "v = py.a")
    assert runtime_shell.user_ns["v"] is array


@pytest.mark.parametrize(
    ("dtype", "value"),
    [
        ("int32", "2^40"),
        ("int32", "-2^31 - 1"),
        ("uint8", "-1"),
        ("uint8", "256"),
        ("int16", "0/0"),
        ("uint64", "2^64"),
        ("int64", "2^63"),
    ],
)
def test_numbers_that_do_not_fit_the_dtype_are_refused(
    session: LuaSession, dtype: str, value: str
) -> None:
    array = np.array([7, 7], dtype=dtype)
    with pytest.raises(LuaRuntimeError, match=f"does not fit in an element of this {dtype}"):
        run(session, f"arr[0] = {value}", array)
    with pytest.raises(LuaRuntimeError, match="does not fit"):
        run(session, f"for i = 0, 1 do arr[i] = {value} end", array)  # the loop path
    assert array.tolist() == [7, 7]


@pytest.mark.parametrize(
    ("dtype", "value", "stored"),
    [
        ("int32", "-2^31", -(2**31)),
        ("int32", "2^31 - 1", 2**31 - 1),
        ("uint8", "255.9", 255),
        ("int8", "-1.5", -1),
        ("int64", "-2^63", -(2**63)),
        ("float32", "0/0", None),
    ],
)
def test_numbers_that_fit_are_stored_as_numpy_would(
    session: LuaSession, dtype: str, value: str, stored: int | None
) -> None:
    array = np.zeros(1, dtype=dtype)
    run(session, f"arr[0] = {value}", array)
    assert np.isnan(array[0]) if stored is None else array[0] == stored


@pytest.mark.parametrize("dtype", ["float64", "float16", "int32"])
def test_whole_number_floats_index_views_as_they_index_tables(
    session: LuaSession, dtype: str
) -> None:
    """Lua 5.3+ has floats next to integers: `v[2.0]` and `v[4/2]` name element 2, as
    `t[2.0]` names `t[2]` of a table (numpy alone refuses float indexes)."""
    array = np.arange(12, dtype=dtype).reshape(3, 4)
    code = "local v = arr\nv[1.0][2^1] = 40\nreturn v[4/2][1.0], v[1][2], v[2.0][3], #v[0.0]"
    assert run(session, code, array) == (9, 40, 11, 4)
    assert array[1, 2] == 40
    flat = np.arange(4.0)
    assert run(session, "arr[2^1] = 7\nreturn arr[6/3], arr[3.0]", flat) == (7, 3)
    with pytest.raises(LuaRuntimeError, match=r"must be an integer, got 1\.5"):
        run(session, "return arr[1.5]", flat)


# -- views Python serves (PUC Lua; float16 and other layouts FFI cannot address) --


@pytest.mark.parametrize("dtype", ["float64", "int64", "bool", "float16"])
@pytest.mark.parametrize(
    "loop",
    [
        "local s = 0 for i = 0, #arr - 1 do s = s + (arr[i] and 1 or 0) end",
        "for i = 0, #arr - 1 do arr[i] = VALUE end",
        "local s = 0 for _, x in ipairs(arr) do s = s + (x and 1 or 0) end",
    ],
    ids=["read", "write", "ipairs"],
)
def test_element_reads_writes_and_ipairs_run_no_python_function(
    session: LuaSession, dtype: str, loop: str
) -> None:
    """Each element is memory (FFI) or one C call into Python (a memoryview's or
    numpy's own), never a Python function of ilupa's: the loop over a 20,000-element
    view runs no more Python functions than the same loop over a Lua table (the
    cell's own work, a count hook's polls)."""
    n = 20_000
    loop = loop.replace("VALUE", "true" if dtype == "bool" else "1")
    session.globals.arr = session.proxy.view(np.zeros(n, dtype=dtype))
    over_view = python_calls_during(session, loop)
    table = f"local arr = {{}} for i = 0, {n - 1} do arr[i] = 0 end\n"
    over_table = python_calls_during(session, table + loop.replace("ipairs(arr)", "pairs(arr)"))
    assert over_view < over_table + 200, (over_view, over_table)


def test_ipairs_over_a_view_yields_integer_indexes_and_live_values(session: LuaSession) -> None:
    array = np.arange(5.0)
    code = (
        "local seen = {}\n"
        "for i, x in ipairs(arr) do\n"
        "  if i == 1 then arr[2] = 40 end\n"
        "  seen[#seen + 1] = (math.type and math.type(i) or type(i)) .. ':' .. tostring(x)\n"
        "end\n"
        "return table.concat(seen, ' ')"
    )
    (shown,) = run(session, code, array)
    doubles_only = session.runtime_name in ("lua51", "lua52", "luajit20", "luajit21")
    kind = "number" if doubles_only else "integer"
    values = ["0", "1", "40", "3", "4"] if doubles_only else ["0.0", "1.0", "40.0", "3.0", "4.0"]
    assert shown == " ".join(f"{kind}:{value}" for value in values)


def test_a_write_after_the_array_turned_read_only_is_refused(session: LuaSession) -> None:
    """FFI reads the flags at each write (ilupa's error); where Python serves the
    elements numpy refuses the assignment itself (its ValueError)."""
    array = np.zeros(3)
    session.globals.arr = session.proxy.view(array)
    session.run("arr[0] = 1", "before")
    array.flags.writeable = False
    for code in ("arr[1] = 2", "for i = 0, 2 do arr[i] = 3 end"):
        with pytest.raises((LuaRuntimeError, ValueError), match="read-only"):
            session.run(code, "after")
    assert array.tolist() == [1.0, 0.0, 0.0]


@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_a_float_write_past_the_largest_value_warns_at_the_cell_line(
    session: LuaSession, dtype: str
) -> None:
    import warnings

    array = np.zeros(3, dtype=dtype)
    session.globals.arr = session.proxy.view(array)
    largest = float(np.finfo(dtype).max)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        session.run(f"arr[0] = {largest!r}\nfor i = 1, 2 do\n  arr[i] = 1e300\nend", "cell")
    overflow = [w for w in caught if "overflow" in str(w.message)]
    if session.proxy.uses_ffi and dtype == "float32":
        assert not overflow  # FFI stores the C cast (inf), as C does
    else:
        assert overflow and {(w.filename, w.lineno) for w in overflow} == {("cell", 3)}
    assert array[0] == largest and np.isinf(array[1:]).all()
