"""Fast copies between 1-d numpy arrays and numeric Lua tables, on every runtime.

The Lua side is ilupa/proxy/array_conversions.lua. Each runtime takes its
fastest route that makes no Python call per element: FFI pointers on LuaJIT;
on PUC Lua 5.3+ the array's bytes unpacked by `string.unpack` (numpy to Lua);
elsewhere lupa's own C conversions, many values per call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ilupa.lua_types import lua_type_of
from ilupa.proxy.arrays import FFI_DTYPES, address_of, dtype_facts
from ilupa.proxy.copies import CopyError

CHUNK = 4000  # values per Lua call: within Lua 5.1's C stack (LUAI_MAXCSTACK 8000)
NUMBER_TYPES = frozenset({int, float})
LUA_TYPE_NAMES = {type(None): "nil", str: "string", bool: "boolean", bytes: "string"}
# string.pack format letters for the dtypes whose values unpack exactly as
# `tolist()` would give them (bool and uint64 take lupa's route).
PACK_CODES = {
    "float64": "d",
    "float32": "f",
    "int8": "b",
    "uint8": "B",
    "int16": "h",
    "uint16": "H",
    "int32": "i4",
    "uint32": "I4",
    "int64": "i8",
}


class ArrayConversions:
    """`table_from_array` and `array_from_table` for one Lua state."""

    def __init__(
        self,
        lua: Any,
        lua_side: Any,
        array_of_view: Callable[[Any], Any],
        check_copy: Callable[[Any, str], object],
    ) -> None:
        self.lua = lua
        self.lua_side = lua_side
        self.array_of_view = array_of_view
        self.check_copy = check_copy  # the memory guard's estimate: refuses what cannot fit
        self.uses_ffi = bool(lua_side.uses_ffi)
        self.uses_string_unpack = bool(lua_side.uses_string_unpack)

    def table_from_array(self, array: Any) -> Any:
        """A new Lua table with the numbers of a 1-d numeric array (or view)."""
        viewed = self.array_of_view(array)
        array = np.asarray(viewed if viewed is not None else array)
        if array.ndim != 1 or array.dtype.kind not in "fiub":
            raise CopyError(f"totable needs a 1-d numeric array, got {array.dtype} {array.shape}")
        self.check_copy(array, "this array")
        if self.uses_ffi and len(array):
            address = address_of(array)
            if address is not None:
                stride = array.strides[0] // array.itemsize
                return self.lua_side.table_from_memory(
                    dtype_facts(array.dtype).name, address, len(array), stride
                )
        code = PACK_CODES.get(array.dtype.name)
        if self.uses_string_unpack and code is not None and len(array):
            native = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("="))
            return self.lua_side.table_from_bytes(
                native.tobytes(), len(native), code, native.itemsize, CHUNK // 4
            )
        return self.lua.table_from(array.tolist())

    def array_from_table(self, table: Any, dtype: str = "float64") -> np.ndarray:
        """A new numpy array with t[1..#t]; every element must be a number."""
        count = len(table)
        result = np.empty(count, dtype=dtype)
        if count == 0:
            return result
        if self.uses_ffi and result.dtype.name in FFI_DTYPES - {"bool"}:
            low, high = _exclusive_bounds(result.dtype)
            bad = self.lua_side.fill_memory(
                table, result.dtype.name, result.ctypes.data, count, low, high
            )
            if bad is not None:
                value = table[bad]
                if type(value) in (int, float):
                    raise _does_not_fit(bad, value, result.dtype)
                raise _not_a_number(bad, value)
            return result
        allowed = NUMBER_TYPES | {bool} if result.dtype.name == "bool" else NUMBER_TYPES
        for start in range(0, count, CHUNK):
            stop = min(start + CHUNK, count)
            values = self.lua_side.slice(table, start + 1, stop)[1:]
            if not set(map(type, values)) <= allowed:
                offset = next(i for i, value in enumerate(values) if type(value) not in allowed)
                raise _not_a_number(start + 1 + offset, values[offset])
            result[start:stop] = values
        return result


def _exclusive_bounds(dtype: np.dtype) -> tuple[float | None, float | None]:
    """The doubles just outside an integer dtype's range (None, None for floats)."""
    if dtype.kind not in "iu":
        return None, None
    info = np.iinfo(dtype)
    low = float(info.min) - 1
    if low == float(info.min):  # int64: -2**63 - 1 is no double; take the one below
        low = float(np.nextafter(float(info.min), -np.inf))
    return low, float(info.max + 1)


def _does_not_fit(position: int, value: float, dtype: np.dtype) -> Exception:
    """The error numpy gives for the value (ValueError for NaN, OverflowError past the range)."""
    if value != value:
        return ValueError(f"element {position} of the table: cannot convert float NaN to integer")
    return OverflowError(
        f"element {position} of the table, {value!r}, is out of bounds for {dtype}"
    )


def _not_a_number(position: int, value: Any) -> CopyError:
    kind = lua_type_of(value) or LUA_TYPE_NAMES.get(type(value), f"a Python {type(value).__name__}")
    return CopyError(f"element {position} of the table is {kind}, not a number")
