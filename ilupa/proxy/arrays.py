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
from typing import Any, NamedTuple

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


class DtypeFacts(NamedTuple):
    """What a view needs to know of a dtype, worked out once per dtype (`dtype.name`
    alone costs microseconds, paid on every array that crosses into Lua)."""

    name: str
    # native byte order and a C type: FFI reads it through a typed pointer, and a
    # memoryview reads its items in C (each such dtype has a struct format)
    typed: bool


@cache
def dtype_facts(dtype: np.dtype) -> DtypeFacts:
    native = dtype.byteorder in ("=", "|") or (
        dtype.byteorder == ("<" if sys.byteorder == "little" else ">")
    )
    return DtypeFacts(dtype.name, native and dtype.name in FFI_DTYPES)


def is_viewable(array: np.ndarray) -> bool:
    """Numeric and boolean arrays of at least one dimension get a view; others stay objects."""
    return array.ndim >= 1 and dtype_facts(array.dtype).name in VIEW_DTYPES


def _whole_strides(array: np.ndarray) -> bool:
    itemsize = array.itemsize
    return all(stride % itemsize == 0 for stride in array.strides)


def address_of(array: np.ndarray) -> int | None:
    """The data address if FFI can read the elements as a typed pointer, else None.

    None for float16 (C has no half type), a byte-swapped dtype, strides that
    are not whole elements, or an empty array.
    """
    if not (dtype_facts(array.dtype).typed and array.size and _whole_strides(array)):
        return None
    return int(array.ctypes.data)


def view_layout(array: np.ndarray, *, addressed: bool) -> tuple[dict[str, Any], tuple[int, ...]]:
    """What array_views.lua's `new` takes: the named layout, then shape and strides.

    `addressed` (LuaJIT): the layout carries the data address, and the flags
    address (see `flags_address`) that lets FFI writes see
    `a.flags.writeable = False` set after the view was made. Otherwise, for a
    1-d array, it carries `element_at`, a C callable reading one element
    (a memoryview's item read, or numpy's `item` for what a memoryview cannot
    read, such as float16), and `memory`, the memoryview ipairs walks. The
    memoryview is a buffer export: numpy refuses to resize the array while Lua
    holds the view.
    """
    facts = dtype_facts(array.dtype)
    layout: dict[str, Any] = {
        "dtype": facts.name,
        "readonly": not array.flags.writeable,
        "ndim": array.ndim,
    }
    address = address_of(array) if addressed else None
    if address is not None:
        layout["address"] = address
        layout["flags_address"] = flags_address(array)
    elif array.ndim == 1:
        memory = memoryview(array) if facts.typed else None
        layout["element_at"] = array.item if memory is None else memory.__getitem__
        if memory is not None:
            layout["memory"] = memory
    itemsize = array.itemsize
    strides = (
        [stride // itemsize for stride in array.strides]
        if _whole_strides(array)
        else [0] * array.ndim
    )
    return layout, (*array.shape, *strides)


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
