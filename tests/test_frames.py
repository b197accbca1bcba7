"""Data frames both ways: columns read in Lua without a copy, Lua tables back as DataFrames.

Every runtime: `ilupa.column` over numpy-backed, masked and Arrow-backed
Series, pyarrow arrays (nulls, offsets, chunks) and object columns; `ipairs`
over a Series or an Arrow array; `ilupa.frame` and `ilupa.frames.to_frame`
against the frame pandas builds from the same records in Python.
"""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ilupa.frames import to_frame
from ilupa.frames.building import FrameError
from ilupa.runtimes import available_runtimes
from ilupa.session import LuaSession

RUNTIMES = available_runtimes()


@pytest.fixture(scope="module", params=RUNTIMES)
def session(request: pytest.FixtureRequest) -> Iterator[LuaSession]:
    yield LuaSession(request.param, {})


def run(session: LuaSession, code: str, **values: Any) -> Any:
    session.namespace.update(values)
    return session.run(code, "cell")


def strings_of(session: LuaSession, column: Any) -> list[Any]:
    """Every position of `ilupa.column(column)` read in Lua, nil as None."""
    table = run(
        session,
        "local c = ilupa.column(py.col) local out = {n = #c}"
        " for i = 0, #c - 1 do out[i + 1] = c[i] end return out",
        col=column,
    )[0]
    return [table[i] for i in range(1, table["n"] + 1)]


# -- numbers and booleans ---------------------------------------------------


def test_a_numeric_column_is_a_view_of_the_series_memory(session: LuaSession) -> None:
    df = pd.DataFrame({"x": np.arange(5, dtype=float) * 1.5, "b": [True, False, True, True, False]})
    total, array, nulls = run(
        session,
        "local v, nulls = ilupa.column(py.df.x) local s = 0"
        " for i = 0, #v - 1 do s = s + v[i] end return s, v.array, nulls",
        df=df,
    )
    assert total == df.x.sum() and nulls is None
    assert np.shares_memory(array, df.x.to_numpy())
    assert run(session, "local v = ilupa.column(py.df.b) return v[0], v[1]", df=df) == (True, False)


def test_a_masked_column_gives_its_values_and_its_nulls(session: LuaSession) -> None:
    series = pd.Series([1, None, 3], dtype="Int64")
    first, third, null_1, null_0, values = run(
        session,
        "local v, nulls = ilupa.column(py.s) return v[0], v[2], nulls[1], nulls[0], v.array",
        s=series,
    )
    assert (first, third, null_1, null_0) == (1, 3, True, False)
    assert np.shares_memory(values, series.array._data)


def test_an_arrow_array_with_nulls_an_offset_and_chunks(session: LuaSession) -> None:
    array = pa.array([10, None, 30, 40], type=pa.int32()).slice(1)  # offset 1
    values, nulls = run(
        session,
        "local v, nulls = ilupa.column(py.a) return {v[1], v[2], #v}, {nulls[0], nulls[1]}",
        a=array,
    )
    assert (values[1], values[2], values[3]) == (30, 40, 3)
    assert (nulls[1], nulls[2]) == (True, False)
    chunked = pa.chunked_array([[1.5, 2.5], [3.5]])
    assert run(session, "local v = ilupa.column(py.c) return #v, v[2]", c=chunked) == (3, 3.5)


def test_a_column_that_is_not_one_is_a_clear_error(session: LuaSession) -> None:
    with pytest.raises(Exception, match=r"ilupa\.column takes a pandas Series"):
        run(session, "local c = ilupa.column(py.d)", d={"a": 1})


# -- text ---------------------------------------------------------------------


def test_text_columns_read_every_string_and_nil_for_missing_ones(session: LuaSession) -> None:
    words = ["a", "", "Grüße", None, "x" * 300, "last"]
    arrow = pa.array(words)
    assert strings_of(session, arrow) == words
    assert strings_of(session, pa.array(words, type=pa.large_string())) == words
    assert strings_of(session, arrow.slice(2)) == words[2:]
    chunked = pa.chunked_array([words[:2], words[2:4], words[4:]])
    assert strings_of(session, chunked) == words
    series = pd.Series(words, dtype="str")
    assert strings_of(session, series) == ["a", "", "Grüße", None, "x" * 300, "last"]
    assert strings_of(session, pd.Series(words, dtype=object)) == words
    assert strings_of(session, pd.Series(["a", math.nan], dtype=object)) == ["a", None]


def test_a_text_column_longer_than_a_batch(session: LuaSession) -> None:
    words = [f"w{i}" for i in range(10_000)]
    for column in (pa.array(words), pd.Series(words, dtype=object)):
        count, last, middle = run(
            session,
            "local c = ilupa.column(py.col) local n = 0"
            " for i = #c - 1, 0, -1 do n = n + #c[i] end return n, c[#c - 1], c[5000]",
            col=column,
        )
        assert (count, last, middle) == (sum(map(len, words)), "w9999", "w5000")


def test_text_columns_refuse_bad_indexes_writes_and_non_strings(session: LuaSession) -> None:
    session.namespace["col"] = pa.array(["a", "b"])
    for code, message in (
        ("return ilupa.column(py.col)[2]", r"out of range \[0, 2\)"),
        ("return ilupa.column(py.col)[0.5]", "out of range"),
        ("ilupa.column(py.col)[0] = 'z'", "read-only"),
    ):
        with pytest.raises(Exception, match=message):
            session.run(code, "cell")
    with pytest.raises(Exception, match="holds a int, not a str"):
        run(session, "return ilupa.column(py.col)[1]", col=pd.Series(["a", 3], dtype=object))


# -- ipairs over columns ------------------------------------------------------


@pytest.mark.parametrize(
    "column",
    [
        pd.Series([1.5, 2.5, 3.5], index=[10, 20, 30]),  # positional, not labels
        pd.Series(["a", "b", "c"], dtype="str"),
        pa.array([1, 2, 3]),
        pa.array(["x", "y"]),
        pd.Series([1, None, 3], dtype="Int64"),  # nulls: Python's own iteration
        [4, 5, 6],
    ],
    ids=["float-series", "str-series", "arrow-ints", "arrow-strings", "int64-nulls", "list"],
)
def test_ipairs_over_a_column_visits_what_python_iterates(session: LuaSession, column: Any) -> None:
    table = run(
        session,
        "local out = {} for i, v in ipairs(py.col) do out[i] = v end return out",
        col=column,
    )[0]
    expected = list(column) if not isinstance(column, pa.Array) else column.to_pylist()
    seen = [table[i] for i in range(1, len(table) + 1)]
    if isinstance(column, pd.Series) and column.dtype == "Int64":
        assert seen[0] == 1 and seen[1] is pd.NA and seen[2] == 3  # NA: a Python object
    else:
        assert seen == expected


# -- back to pandas -----------------------------------------------------------


def test_records_become_typed_columns(session: LuaSession) -> None:
    frame = run(
        session,
        "local t = {} for i = 1, 5 do"
        " t[i] = {id = i, name = 'n' .. i, score = i / 2, ok = i % 2 == 0} end"
        " return ilupa.frame(t, {'id', 'name', 'score', 'ok'})",
    )[0]
    expected = pd.DataFrame(
        {
            "id": np.arange(1, 6, dtype="int64"),
            "name": pd.array([f"n{i}" for i in range(1, 6)], dtype="str"),
            "score": np.arange(1, 6) / 2,
            "ok": [i % 2 == 0 for i in range(1, 6)],
        }
    )
    pd.testing.assert_frame_equal(frame, expected)


def test_a_record_with_a_metatable_gives_the_fields_pairs_gives(session: LuaSession) -> None:
    """Records without a metatable are walked raw; one with a metatable through
    `pairs`, so a `__pairs` counts where the runtime's `pairs` honours it."""
    code = (
        "local fields = {a = 2, b = 'x'}\n"
        "local odd = setmetatable({a = 1}, {__pairs = function() return next, fields, nil end})\n"
        "local seen = {} for k, v in pairs(odd) do seen[#seen + 1] = k end\n"
        "return ilupa.frame({ {a = 0}, odd }), #seen"
    )
    frame, seen = run(session, code)
    if seen == 2:  # Lua 5.2+ honour __pairs
        assert frame["a"].tolist() == [0, 2] and frame["b"].isna().tolist() == [True, False]
    else:
        assert frame["a"].tolist() == [0, 1] and list(frame.columns) == ["a"]


def test_an_integer_column_becomes_float_at_its_first_fraction(session: LuaSession) -> None:
    (frame,) = run(session, "return ilupa.frame({ {x = 1}, {x = 2^53}, {x = 2.5}, {x = 3} })")
    assert frame["x"].dtype == np.float64 and frame["x"].tolist() == [1, 2**53, 2.5, 3]
    (whole,) = run(session, "return ilupa.frame({ {x = 1}, {x = -0.0}, {x = 2^52} })")
    # -0.0 and 2^52 are floats where Lua has integers; whole doubles elsewhere
    integers = session.runtime_name in ("lua51", "lua52", "luajit20", "luajit21")
    assert whole["x"].dtype == (np.int64 if integers else np.float64)
    assert whole["x"].tolist() == [1, 0, 2**52]


def test_holes_are_missing_values_of_each_dtype(session: LuaSession) -> None:
    frame = run(
        session,
        "return ilupa.frame({ {i = 1, f = 1.5, b = true, s = 'a'}, {} })",
    )[0]
    assert list(frame.columns) == ["b", "f", "i", "s"]  # one record: sorted names
    assert str(frame.i.dtype) == "Int64" and frame.i.isna().tolist() == [False, True]
    assert frame.f.dtype == "float64" and math.isnan(frame.f[1])
    assert str(frame.b.dtype) == "boolean" and frame.b.isna().tolist() == [False, True]
    assert frame.s.isna().tolist() == [False, True] and frame.s[0] == "a"


def test_a_table_of_columns(session: LuaSession) -> None:
    frame = run(session, "return ilupa.frame({x = {1, 2, 3}, y = {'a', 'b', 'c'}})")[0]
    assert frame.to_dict("list") == {"x": [1, 2, 3], "y": ["a", "b", "c"]}


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("ilupa.frame({ {a = 1}, {a = 'x'} })", r'row 2, field "a" is a string, but the column'),
        ("ilupa.frame({ {a = {}} })", r'row 1, field "a" is a table; a column holds'),
        ("ilupa.frame({ {a = 1}, 5 })", "row 2 is a number, not a table of fields"),
        ("ilupa.frame({ {a = 1, b = 2} }, {'a'})", 'row 1 has field "b", which is not among'),
        ("ilupa.frame(7)", "takes a table of records or of columns, not a number"),
        ("ilupa.frame({x = 5})", 'column "x" is a number, not a table of values'),
    ],
)
def test_a_value_that_fits_no_column_names_its_row_and_field(
    session: LuaSession, code: str, message: str
) -> None:
    with pytest.raises(Exception, match=message) as raised:
        session.run("local f = " + code, "frame_cell")
    assert "frame_cell:1" in str(raised.value)


def test_to_frame_in_python_is_the_same_frame(session: LuaSession) -> None:
    table = run(session, "return { {a = 1, b = 'x'}, {a = 2, b = 'y'} }")[0]
    frame = to_frame(table, session, columns=["b", "a"])
    assert list(frame.columns) == ["b", "a"] and frame.a.tolist() == [1, 2]
    with pytest.raises(FrameError, match="row 1 is a string"):
        to_frame(session.run("return {'oops'}", "bad")[0], session)


FIELD_VALUES = {
    "int": st.integers(-(2**31), 2**31),
    "float": st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: x != int(x)),
    "str": st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\0")),
    "bool": st.booleans(),
}


@st.composite
def record_lists(draw: st.DrawFn) -> list[dict[str, Any]]:
    kinds = draw(st.dictionaries(st.sampled_from("abcd"), st.sampled_from(sorted(FIELD_VALUES))))
    rows = draw(st.integers(1, 6))
    return [
        {name: draw(FIELD_VALUES[kind]) for name, kind in kinds.items() if draw(st.booleans())}
        for _ in range(rows)
    ]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(records=record_lists())
def test_frames_match_what_pandas_builds_from_the_same_records(
    session: LuaSession, records: list[dict[str, Any]]
) -> None:
    """Column by column: the same values, missing where a record lacks the field."""
    table = session.proxy.copy_to_lua(records)
    frame = to_frame(table, session)
    names = sorted({name for record in records for name in record})
    assert sorted(frame.columns) == names and len(frame) == len(records)
    for name in names:
        for row, record in enumerate(records):
            value = frame[name].iloc[row]
            if name not in record:
                assert pd.isna(value)
            elif isinstance(record[name], float):
                assert value == pytest.approx(record[name])
            else:
                assert value == record[name] and not pd.isna(value)


# -- optional libraries -------------------------------------------------------

WITHOUT_PANDAS = """
import importlib.abc, sys
class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in ("pandas", "pyarrow", "polars"):
            raise ModuleNotFoundError(f"No module named {name!r}")
sys.meta_path.insert(0, Refuse())
from ilupa.session import LuaSession
s = LuaSession("lua54", {"a": __import__("numpy").arange(3.0)})
assert s.run("local v = ilupa.column(py.a) return v[2]", "c") == (2.0,)
assert s.run("local n = 0 for _, v in ipairs(py.a) do n = n + v end return n", "c") == (3.0,)
try:
    s.run("local f = ilupa.frame({ {a = 1} })", "c")
except Exception as error:
    assert "ilupa.frame needs pandas" in str(error), error
else:
    raise AssertionError("a frame without pandas")
assert not {"pandas", "pyarrow"} & set(sys.modules), "imported"
print("ok")
"""


def test_ilupa_works_without_pandas_and_pyarrow() -> None:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(WITHOUT_PANDAS)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.strip() == "ok", result.stderr


def test_pandas_is_imported_only_when_a_frame_reaches_lua() -> None:
    code = (
        "import sys\nfrom ilupa.session import LuaSession\n"
        "s = LuaSession('luajit21' if 'luajit21' in sys.argv else 'lua54', {'l': [1, 2]})\n"
        "s.run('local n = 0 for _, v in ipairs(py.l) do n = n + v end return n', 'c')\n"
        "print(sorted({'pandas', 'pyarrow', 'polars'} & set(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.stdout.strip() == "[]", result.stderr
