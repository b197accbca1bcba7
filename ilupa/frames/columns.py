"""Which memory backs a column (pandas Series, pyarrow arrays, polars Series): read, not copied.

A numeric or bool column is shown to Lua as an array view over the memory that
holds it: a numpy-backed Series's own array, a masked Series's (`Int64`,
`Float64`, `boolean`) values with its mask as the nulls, an Arrow array's value
buffer with its validity bitmap read as the nulls. A text column (pandas `str`
on Arrow, an Arrow string array, an object column of `str`) is described for
text_columns.lua: Arrow's offset and data buffers, which LuaJIT reads through
the FFI, or the column itself, which PUC Lua reads in batches.

Nothing here imports pandas, pyarrow or polars: an object is recognised by the
module its type comes from, and only then is its library imported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

# Arrow types whose values buffer numpy reads as is (bool is bit-packed: not here).
ARROW_NUMBERS = frozenset(
    {"int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float", "double"}
)
NUMPY_OF_ARROW = {"float": "float32", "double": "float64"}
ARROW_TEXT = {"string": 4, "large_string": 8, "utf8": 4, "large_utf8": 8}  # offset widths


class ColumnError(TypeError):
    """A value `ilupa.column` cannot show as a column, with what it was."""


@dataclass(frozen=True)
class TextChunk:
    """One Arrow string chunk: the addresses text_columns.lua reads through the FFI."""

    length: int
    offsets: int  # address of the first of `length + 1` offsets of this chunk
    offset_bytes: int  # 4 (string) or 8 (large_string)
    data: int  # address of the UTF-8 bytes
    validity: int  # address of the validity bitmap, 0 when no value is null
    bit_offset: int  # the chunk's first bit in that bitmap


@dataclass(frozen=True)
class Column:
    """What Lua reads of a column: numbers (a view), or text, and where the nulls are.

    `values` is the memory of a numeric or bool column (no copy), `nulls` a
    bool array true where a value is missing (None when none is), `text` the
    Arrow chunks of a text column, `strings` an object column's own values
    (read in batches), `keep` what keeps the memory alive while Lua reads it.
    """

    length: int
    values: np.ndarray | None = None
    nulls: np.ndarray | None = None
    text: tuple[TextChunk, ...] | None = None
    strings: Any = None
    keep: Any = None


def library_of(value: Any) -> str:
    """ "pandas", "pyarrow", "polars" or "" for the library a value's type comes from."""
    module = type(value).__module__.partition(".")[0]
    return module if module in ("pandas", "pyarrow", "polars") else ""


def is_column(value: Any) -> bool:
    """True for a pandas Series, a pyarrow Array or ChunkedArray, a polars Series."""
    library = library_of(value)
    if not library:
        return False
    name = type(value).__name__
    if library == "pandas":
        return name == "Series"
    if library == "pyarrow":
        return name == "ChunkedArray" or name.endswith("Array")
    return name == "Series"


def column_of(value: Any) -> Column:
    """How Lua reads `value` without a copy; ColumnError for what is not a column."""
    library = library_of(value)
    if library == "pandas" and type(value).__name__ == "Series":
        return _pandas_column(value)
    if library == "pyarrow" and is_column(value):
        return _arrow_column(value)
    if library == "polars" and is_column(value):
        return _arrow_column(value.to_arrow())
    if isinstance(value, np.ndarray) and value.ndim == 1:
        return _numpy_column(value, value)
    raise ColumnError(
        f"ilupa.column takes a pandas Series, a pyarrow array or a polars Series, "
        f"not {type(value).__module__}.{type(value).__qualname__}"
    )


def _pandas_column(series: Any) -> Column:
    array = series.array
    if hasattr(array, "__arrow_array__") and type(array).__name__.startswith("Arrow"):
        return _arrow_column(array.__arrow_array__(), keep=series)
    # pandas' masked arrays (Int64, Float64, boolean) hold their values and mask
    data, mask = getattr(array, "_data", None), getattr(array, "_mask", None)
    if isinstance(data, np.ndarray) and isinstance(mask, np.ndarray):
        return Column(len(data), values=data, nulls=mask if mask.any() else None, keep=series)
    values = series.to_numpy(copy=False)
    if values.dtype == object:
        return Column(len(values), strings=values, keep=series)
    return _numpy_column(values, series)


def _numpy_column(values: np.ndarray, keep: Any) -> Column:
    if values.dtype.kind not in "biuf":
        raise ColumnError(f"ilupa.column has no Lua view of a {values.dtype} column")
    return Column(len(values), values=values, keep=keep)


def _arrow_column(array: Any, keep: Any = None) -> Column:
    import pyarrow as pa

    chunks = array.chunks if isinstance(array, pa.ChunkedArray) else [array]
    kind = str(array.type)
    if kind in ARROW_TEXT:
        return Column(
            len(array),
            text=tuple(_text_chunk(chunk, ARROW_TEXT[kind]) for chunk in chunks),
            keep=(array, keep),
        )
    if kind not in ARROW_NUMBERS and kind != "bool":
        raise ColumnError(f"ilupa.column has no Lua view of an Arrow {kind} column")
    if len(chunks) != 1:  # one view needs one piece of memory
        array = pa.concat_arrays(chunks) if chunks else pa.array([], type=array.type)
        chunks = [array]
    chunk = chunks[0]
    nulls = chunk.is_null().to_numpy(zero_copy_only=False) if chunk.null_count else None
    if kind == "bool":  # bit-packed: numpy needs a byte per value (a copy)
        values = chunk.fill_null(False).to_numpy(zero_copy_only=False)
    else:
        dtype = np.dtype(NUMPY_OF_ARROW.get(kind, kind))
        buffer = chunk.buffers()[1]
        values = np.frombuffer(buffer, dtype=dtype, count=chunk.offset + len(chunk))
        values = values[chunk.offset :]
    return Column(len(chunk), values=values, nulls=nulls, keep=(chunk, keep))


def _text_chunk(chunk: Any, offset_bytes: int) -> TextChunk:
    validity, offsets, data = chunk.buffers()[:3]
    return TextChunk(
        length=len(chunk),
        offsets=offsets.address + chunk.offset * offset_bytes,
        offset_bytes=offset_bytes,
        data=data.address if data is not None else 0,
        validity=validity.address if validity is not None and chunk.null_count else 0,
        bit_offset=chunk.offset,
    )
