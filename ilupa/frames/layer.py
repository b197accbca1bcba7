"""`ilupa.column` and `ilupa.frame` in Lua, `to_frame` in Python: one session's frames glue.

`ilupa.column(c)` describes a column (columns.py) as a named table for
text_columns.lua: `{kind = "numbers", values = <view>, nulls = <view or nil>}`
or `{kind = "text", length = n, chunks = {...} or nil, source = <column>, keep
= ...}`. `ipairs` over a Series or an Arrow array with no nulls takes the same
views through the proxy manners (`fast_ipairs`), so the loop reads memory.
"""

from __future__ import annotations

import math
from typing import Any, Protocol

import numpy as np

from ilupa.frames.building import FrameBuilder
from ilupa.frames.columns import Column, ColumnError, column_of, is_column

BATCH = 4096  # strings of a column handed to Lua at a time (PUC Lua, object columns)


class FramesHost(Protocol):
    """What the frames layer needs of a session (ilupa/session.py)."""

    lua: Any
    layer: Any
    proxy: Any


class FramesLayer:
    """The frames machinery of one Lua session."""

    def __init__(self, session: FramesHost) -> None:
        self._lua = session.lua
        proxy = session.proxy
        self._view = proxy.view
        self._to_python = proxy.to_python_value
        self._uses_ffi = proxy.uses_ffi
        text = session.layer.load(
            "text_columns",
            describe=proxy.direct(self._describe),
            batch=proxy.direct(self._batch),
            batch_size=BATCH,
            iteration_marker=proxy.iteration_marker,
        )
        self.builder = FrameBuilder(proxy.array_from_table, self._lua.table_from)
        building = session.layer.load("frame_building", build=proxy.direct(self.builder.build))
        self.builder.connect(building.columns_of)
        self._text_column = text.text_column
        ilupa = self._lua.globals()["ilupa"]
        ilupa["column"] = text.column
        ilupa["frame"] = building.frame
        proxy.manners.fast_ipairs = self._fast_ipairs

    def frame(self, table: Any, columns: Any = None) -> Any:
        """`ilupa.frame(t [, columns])`: a pandas DataFrame of Lua records or columns."""
        return self.builder.frame(table, columns)

    def _describe(self, value: Any) -> Any:
        column = column_of(self._to_python(value))
        if column.values is not None:
            nulls = None if column.nulls is None else self._view(column.nulls)
            return self._lua.table_from(
                {"kind": "numbers", "values": self._view(column.values), "nulls": nulls}
            )
        return self._text_spec(column)

    def _text_spec(self, column: Column) -> Any:
        spec: dict[str, Any] = {"kind": "text", "length": column.length, "keep": column.keep}
        if column.text is not None and self._uses_ffi:
            spec["chunks"] = self._lua.table_from(
                [self._lua.table_from(vars(chunk)) for chunk in column.text]
            )
        spec["source"] = column.strings if column.strings is not None else column.keep[0]
        return self._lua.table_from(spec)

    def _batch(self, source: Any, start: int, stop: int) -> Any:
        if isinstance(source, np.ndarray):  # an object column
            values = source[start:stop].tolist()
            if set(map(type, values)) != {str}:  # one C pass; a missing value is rare
                for at, value in enumerate(values):
                    if type(value) is not str:
                        values[at] = _text_or_missing(value, start + at)
        else:  # an Arrow string array or chunked array
            values = source.slice(start, stop - start).to_pylist()
        return self._lua.table_from(values)

    def _fast_ipairs(self, value: Any) -> Any:
        """The Lua column `ipairs(value)` can walk instead of Python's iterator, or None."""
        if not is_column(value):
            return None
        try:
            column = column_of(value)
        except ColumnError:
            return None
        if column.nulls is not None or column.strings is not None:
            return None  # Python's iterator gives a missing value as Python has it
        if column.values is not None:
            return self._view(column.values)
        if column.text is None or any(chunk.validity for chunk in column.text):
            return None
        return self._text_column(self._text_spec(column))


def _text_or_missing(value: Any, position: int) -> None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if type(value).__name__ == "NAType":
        return None
    raise ColumnError(
        f"ilupa.column: position {position} of this object column holds a "
        f"{type(value).__name__}, not a str"
    )
