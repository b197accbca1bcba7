"""How task data crosses into a worker's Lua and how Lua's values come back.

Into Lua: numpy arrays (a `dask.array` block) as array views, zero-copy
(on LuaJIT through FFI; elsewhere the view reads the same memory through
Python); a pandas Series as a view of its values; a pandas DataFrame (a
`dask.dataframe` partition) as a Lua table of columns, each a view (columns
numpy cannot hold as numbers, such as strings, arrive as Python arrays by
reference); anything else by reference, with Python indexing.

Back to Python: Lua numbers, strings, booleans and nil as Python values; a
view as the array it shows; a Lua table as a Python copy (a table cannot
leave its process: keys 1..n make a list, others a dict, views inside it
arrays). A Lua function cannot come back at all (TypeError). When the first
argument was a DataFrame or Series, a table of columns comes back as a
DataFrame and an array of its length as a Series, on the partition's index.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ilupa.lua_types import lua_type_of
from ilupa.pickling import not_picklable
from ilupa.session import LuaSession


def _pandas() -> Any:
    import pandas

    return pandas


def _is_pandas(value: Any, kind: str) -> bool:
    cls = type(value)
    return cls.__name__ == kind and cls.__module__.startswith("pandas")


def to_lua_argument(session: LuaSession, value: Any) -> Any:
    """A task argument as the Lua function gets it (see the module docstring)."""
    if _is_pandas(value, "DataFrame"):
        columns = {column: _column_view(session, value[column]) for column in value.columns}
        return session.lua.table_from(columns)
    if _is_pandas(value, "Series"):
        return _column_view(session, value)
    return value  # LuaSession.call turns arrays into views


def _column_view(session: LuaSession, series: Any) -> Any:
    return session.proxy.to_lua(series.to_numpy())


def from_lua_values(session: LuaSession, values: tuple[Any, ...], first_argument: Any) -> Any:
    """What the task returns: None, one value, or a tuple of values, as plain Python data."""
    results = tuple(to_python_result(session, value) for value in values)
    if not results:
        return None
    result = results[0] if len(results) == 1 else results
    if _is_pandas(first_argument, "DataFrame") or _is_pandas(first_argument, "Series"):
        return _as_pandas(result, first_argument)
    return result


def to_python_result(session: LuaSession, value: Any) -> Any:
    """One value Lua returned, as Python data that can be pickled."""
    kind = lua_type_of(value)
    if kind is None:
        return _plain(session, value) if isinstance(value, list | dict) else value
    if kind == "table":
        return _plain(session, session.proxy.copy_to_python(value))
    array = session.proxy.array_of_view(value) if kind == "userdata" else None
    if array is not None:
        return array
    what = kind if kind == "userdata" else "function or coroutine"
    raise not_picklable(what)


def _plain(session: LuaSession, value: Any) -> Any:
    """A copied table, with the views and Lua objects inside it resolved."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            value[index] = _plain(session, item)
        return value
    if isinstance(value, dict):
        for key, item in value.items():
            value[key] = _plain(session, item)
        return value
    if lua_type_of(value) is not None:
        return to_python_result(session, value)
    return value


def _as_pandas(result: Any, partition: Any) -> Any:
    pandas = _pandas()
    rows = len(partition)
    if isinstance(result, dict) and all(_has_length(v, rows) for v in result.values()):
        known = [c for c in getattr(partition, "columns", ()) if c in result]
        others = sorted((c for c in result if c not in known), key=str)
        return pandas.DataFrame({c: result[c] for c in known + others}, index=partition.index)
    if _has_length(result, rows) and not isinstance(result, dict):
        name = partition.name if _is_pandas(partition, "Series") else None
        return pandas.Series(np.asarray(result), index=partition.index, name=name)
    return result


def _has_length(value: Any, rows: int) -> bool:
    return isinstance(value, np.ndarray | list) and len(value) == rows
