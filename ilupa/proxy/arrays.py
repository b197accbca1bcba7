"""Numpy arrays as Lua array views: which arrays qualify and how Lua reaches their memory.

The Lua side is ilupa/lua/array_views.lua. Here Python describes an array
(dtype, shape, strides in elements, data address) and serves element reads and
writes for runtimes without FFI.
"""

from __future__ import annotations

import ctypes
import sys
from functools import cache
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
    """What array_views.lua's `new` takes: dtype, read-only, address, flags address,
    offset, ndim, shape, strides.

    The address is None when the layout cannot be addressed as a typed
    pointer (float16, a byte-swapped dtype or strides that are not whole elements);
    Python then serves the elements. The flags address (see `flags_address`)
    lets FFI writes see `a.flags.writeable = False` set after the view was made.
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
        flags_address(array) if address is not None else None,
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


WRITEABLE = 0x0400  # NPY_ARRAY_WRITEABLE


def flags_address(array: np.ndarray) -> int | None:
    """Where numpy keeps `array`'s flags (an int in the array object), or None if not found.

    Read by FFI writes, so that a view made before `a.flags.writeable = False`
    stops writing too. The offset is found once by comparing, for a writeable and a
    read-only array, the ints at each candidate offset with `flags.num`.
    """
    offset = _flags_offset()
    return None if offset is None else id(array) + offset


@cache
def _flags_offset() -> int | None:
    writeable = np.zeros(1)
    frozen = np.zeros(1)
    frozen.flags.writeable = False
    size = sys.getsizeof(writeable) - writeable.nbytes  # the object without its data
    for offset in range(16, max(16, min(size, 128)) - 3, 4):

        def read(array: np.ndarray, at: int = offset) -> int:
            return ctypes.c_int.from_address(id(array) + at).value

        if read(writeable) == writeable.flags.num and read(frozen) == frozen.flags.num:
            return offset
    return None
