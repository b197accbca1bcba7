"""Numpy arrays as Lua array views: which arrays qualify and how Lua reaches their memory.

The Lua side is ilupa/lua/array_views.lua. Here Python describes an array
(dtype, shape, strides in elements, data address) and serves element reads and
writes for runtimes without FFI.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

FFI_DTYPES = frozenset(
    {
        "float64",
        "float32",
        "int8",
        "int16",
        "int32",
        "int64",
        "uint8",
        "uint16",
        "uint32",
        "uint64",
        "bool",
    }
)
VIEW_DTYPES = FFI_DTYPES | {"float16"}  # C has no half type: Python serves float16 elements


def is_viewable(array: np.ndarray) -> bool:
    """Numeric and boolean arrays of at least one dimension get a view; others stay objects."""
    return array.ndim >= 1 and array.dtype.name in VIEW_DTYPES


def view_arguments(array: np.ndarray) -> tuple[Any, ...]:
    """What array_views.lua's `new` takes: dtype, read-only, address, offset, ndim, shape, strides.

    The address is None when the layout cannot be addressed as a typed
    pointer (float16, a byte-swapped dtype or strides that are not whole elements);
    Python then serves the elements.
    """
    itemsize = array.dtype.itemsize
    native = array.dtype.byteorder in ("=", "|") or (
        array.dtype.byteorder == ("<" if sys.byteorder == "little" else ">")
    )
    whole = all(stride % itemsize == 0 for stride in array.strides)
    addressable = native and whole and array.size and array.dtype.name in FFI_DTYPES
    address = array.ctypes.data if addressable else None
    strides = [stride // itemsize for stride in array.strides] if whole else [0] * array.ndim
    return (
        array.dtype.name,
        not array.flags.writeable,
        address,
        0,
        array.ndim,
        *array.shape,
        *strides,
    )


def read_element(array: np.ndarray, *index: int) -> Any:
    """One element as a Lua-friendly Python scalar (for views without FFI)."""
    return array[index].item()


def write_element(array: np.ndarray, value: Any, *index: int) -> None:
    array[index] = value
