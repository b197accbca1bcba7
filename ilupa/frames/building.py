"""Lua records or columns into a pandas DataFrame with typed columns.

frame_building.lua makes one pass over the table in Lua (no Python call per
value) and gives each column a kind, its values with holes filled and a
table marking the holes. Here each column becomes one numpy array through the
fast numeric conversion (FFI on LuaJIT), or, for text, one Lua string split
in Python; then pandas gets the arrays, never a list of dicts.

| Lua values | pandas dtype | holes (nil) |
| --- | --- | --- |
| integers (5.3+), integral numbers (5.1, 5.2, LuaJIT) | int64 | nullable `Int64`, `<NA>` |
| numbers with a fraction | float64 | NaN |
| booleans | bool | nullable `boolean`, `<NA>` |
| strings | pandas' text dtype (`str`) | missing (NaN) |
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

TEXT_SEPARATOR = "\0"
DTYPES = {"integer": "int64", "float": "float64", "boolean": "uint8"}


class FrameError(ValueError):
    """A Lua table that cannot become a DataFrame, with the row and field that stopped it."""


class FrameBuilder:
    """`frame(t, columns)` for one Lua state."""

    def __init__(
        self,
        array_from_table: Callable[[Any, str], np.ndarray],
        table_from: Callable[[Any], Any],
    ) -> None:
        """`array_from_table` is the fast numeric copy, `table_from` lupa's."""
        self._array_from_table = array_from_table
        self._table_from = table_from
        self._columns_of: Callable[[Any, Any], Any] | None = None

    def connect(self, columns_of: Callable[[Any, Any], Any]) -> None:
        """frame_building.lua's pass, loaded with `build` as its input."""
        self._columns_of = columns_of

    def frame(self, table: Any, columns: Any = None) -> Any:
        """A DataFrame of a Lua table of records or of columns, in `columns`' order if given."""
        if isinstance(columns, list | tuple):
            columns = self._table_from(list(columns))
        assert self._columns_of is not None, "connected by the frames layer"
        result = self._columns_of(table, columns)
        if result["problem"] is not None:
            raise FrameError(result["problem"])
        return self.build(result)

    def build(self, result: Any) -> Any:
        """The DataFrame of frame_building.lua's named result (`rows`, `columns`)."""
        try:
            import pandas as pd
        except ImportError:
            raise FrameError("ilupa.frame needs pandas: pip install pandas") from None
        rows = int(result["rows"])
        data: dict[Any, Any] = {}
        for column in result["columns"].values():
            data[column["name"]] = self._column(column, rows, pd)
        return pd.DataFrame(data, index=pd.RangeIndex(rows), columns=list(data))

    def _column(self, column: Any, rows: int, pd: Any) -> Any:
        kind, holes = column["kind"], int(column["holes"])
        missing = None
        if holes:
            missing = self._array_from_table(column["missing"], "uint8").view(bool)
        if kind == "string":
            return pd.array(self._strings(column, rows, missing), dtype="str")
        values = self._array_from_table(column["values"], DTYPES[kind]) if rows else None
        if values is None:
            values = np.empty(0, dtype=DTYPES[kind])
        if kind == "boolean":
            values = values.view(bool)
            return pd.arrays.BooleanArray(values, missing) if missing is not None else values
        if kind == "integer" and missing is not None:
            return pd.arrays.IntegerArray(values, missing)
        return values

    def _strings(self, column: Any, rows: int, missing: np.ndarray | None) -> list[Any]:
        joined = column["joined"]
        if rows == 0:
            return []
        if isinstance(joined, str):
            strings: list[Any] = joined.split(TEXT_SEPARATOR)
        else:  # a value holds the separator, or some text is not UTF-8: one at a time
            values = column["values"]
            strings = []
            for row in range(1, rows + 1):
                value = values[row]
                if not isinstance(value, str):
                    raise FrameError(
                        f"ilupa.frame: row {row}, field {column['name']!r} is not UTF-8 text"
                    )
                strings.append(value)
        if missing is not None:
            for row in np.flatnonzero(missing):
                strings[row] = None
        return strings
