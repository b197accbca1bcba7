"""Numpy arrays as Lua array views: which arrays qualify and how Lua reaches their memory.

The Lua side is ilupa/proxy/array_views.lua. Here Python describes an array
(dtype, shape, strides in elements, data address) and serves element reads and
writes for runtimes without FFI.
"""

from __future__ import annotations

import contextlib
import ctypes
import math
import sys
import warnings
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


class ElementWriter:
    """`write_element` for views, with numpy's overflow warning placed at the Lua line.

    A float too large for the element (`v[0] = 1e6` into float16) becomes inf,
    as numpy does, with numpy's RuntimeWarning "overflow encountered in cast";
    raised here, numpy's warning named this file and line, not the cell. So the
    overflow is seen before the write (a float dtype, a finite number past its
    largest value) and warned at the cell line that wrote it (`place`, a Lua
    function array_views.lua returns, set after it loaded), once per line as
    Python warns; numpy's own warning is silenced for that write.
    """

    def __init__(self) -> None:
        self.place: Any = None  # Lua: the chunk name and line of the code writing
        self._registries: dict[str, dict[Any, Any]] = {}

    def __call__(self, array: np.ndarray, value: Any, *index: int) -> None:
        if array.dtype.kind == "f" and _overflows(array.dtype, value):
            self._warn_overflow()
            with np.errstate(over="ignore"):
                array[index] = value
            return
        array[index] = value

    def _warn_overflow(self) -> None:
        chunk, line = "<lua>", 0
        with contextlib.suppress(Exception):  # a place is a courtesy; the write goes on
            found = self.place() if self.place is not None else None
            if isinstance(found, tuple) and len(found) == 2:
                chunk, line = str(found[0]), int(found[1])
        warnings.warn_explicit(
            "overflow encountered in cast",
            RuntimeWarning,
            chunk,
            line,
            registry=self._registries.setdefault(chunk, {}),
        )


@cache
def _largest(dtype: np.dtype) -> float:
    return float(np.finfo(dtype).max)


def _overflows(dtype: np.dtype, value: Any) -> bool:
    kind = type(value)
    if kind is not float and kind is not int:
        return False
    return abs(value) > _largest(dtype) and math.isfinite(value)


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
