"""Explicit recursive copies between Python containers and Lua tables.

References are the default in ilupa; a copy is what you ask for when Lua code
needs a real table (or Python a real list). Copies keep the shape of the data
graph: an object reached twice becomes one table reached twice, and cycles
stay cycles (lupa's `table_from` would duplicate or recurse forever).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from ilupa.errors import CopyError
from ilupa.lua_function import unwrapped
from ilupa.lua_types import lua_type_of

__all__ = ["CopyError", "ToLua", "ToPython"]

PRIMITIVES = (str, int, float, bool, bytes, type(None))
PRIMITIVE_TYPES = frozenset(PRIMITIVES)
INT_ONLY = frozenset({int})
Checkpoint = Callable[[], None]
"""Called after each table a copy made: raises to stop a copy that no longer fits."""


class _Pending:
    """Stands for a container whose table is still being built (a cycle back to it)."""

    def __init__(self, key: int) -> None:
        self.key = key


class ToLua:
    """Copies Python data into Lua tables (lists 1-based, dicts by key, arrays as numbers).

    `checkpoint`, when given, runs after every table the copy made (see
    ilupa/memory/copy_room.py: it compares Lua's real usage with the budget).
    A copy that fails drops every table it made before the error leaves, so
    the caller can collect them: nothing of a failed copy stays reachable.
    """

    def __init__(
        self,
        table_from: Callable[[Any], Any],
        array_to_table: Callable[[np.ndarray], Any],
    ) -> None:
        self.table_from = table_from
        self.array_to_table = array_to_table

    def __call__(self, value: Any, checkpoint: Checkpoint | None = None, none: Any = None) -> Any:
        """A copy of `value`; `none` is what Python's None becomes (nil, a hole, by default:
        fb.python's `eval_none` gives its `py.None` reference instead)."""
        state = _CopyState(checkpoint, none)
        try:
            result = self._copy(state, value, "value")
            for table, key, target in state.fixups:
                table[key] = state.done[target]
            return result
        except RecursionError:
            raise CopyError("data nested too deeply to copy into Lua") from None
        except BaseException as error:
            state.clear()
            raise error.with_traceback(None) from None  # its frames held the new tables

    def _copy(self, state: _CopyState, value: Any, where: str) -> Any:
        if value is None:
            return state.none
        if isinstance(value, PRIMITIVES) or lua_type_of(value) is not None:
            return unwrapped(value)  # a Lua function handed to Python goes back as itself
        if isinstance(value, np.generic):
            return value.item()
        key = id(value)
        if key in state.done:
            return state.done[key]
        if key in state.building:
            return _Pending(key)
        if isinstance(value, np.ndarray):
            table = self._copy_array(value, where)
        elif isinstance(value, Mapping):
            table = self._copy_container(state, key, list(value.items()), where)
        elif isinstance(value, list | tuple):
            table = self._copy_sequence(state, key, value, where)
        elif isinstance(value, set | frozenset):
            table = self._copy_container(state, key, [(v, True) for v in value], where)
        else:
            return value  # other objects stay references inside the copy
        state.done[key] = table
        state.keep.append(value)
        if state.checkpoint is not None:
            state.checkpoint()
        return table

    def _copy_container(
        self, state: _CopyState, key: int, items: list[tuple[Any, Any]], where: str
    ) -> Any:
        state.building.add(key)
        converted: dict[Any, Any] = {}
        pending: list[tuple[Any, int]] = []
        for item_key, item in items:
            lua_key = self._copy(state, item_key, where)
            if lua_key is None or (isinstance(lua_key, float) and math.isnan(lua_key)):
                raise CopyError(f"{where}: a Lua table key cannot be {item_key!r}")
            if isinstance(lua_key, _Pending):
                raise CopyError(f"{where}: a container cannot be a key inside itself")
            lua_value = self._copy(state, item, f"{where}[{item_key!r}]")
            if isinstance(lua_value, _Pending):
                pending.append((lua_key, lua_value.key))
            elif lua_value is not None:
                converted[lua_key] = lua_value
        state.building.discard(key)
        table = self.table_from(converted)
        state.fixups.extend((table, k, target) for k, target in pending)
        return table

    def _copy_sequence(self, state: _CopyState, key: int, items: Any, where: str) -> Any:
        """A list or tuple: its items in order (None leaves a hole, as nil does)."""
        types = set(map(type, items))
        if types <= PRIMITIVE_TYPES and (state.none is None or type(None) not in types):
            # nothing to convert: one lupa call
            return self.table_from(items)
        state.building.add(key)
        converted: list[Any] = []
        pending: list[tuple[int, int]] = []
        for index, item in enumerate(items):
            lua_value = self._copy(state, item, f"{where}[{index!r}]")
            if isinstance(lua_value, _Pending):
                pending.append((index + 1, lua_value.key))
                lua_value = False  # a stand-in until the fix-up sets the table
            converted.append(lua_value)
        state.building.discard(key)
        table = self.table_from(converted)
        state.fixups.extend((table, k, target) for k, target in pending)
        return table

    def _copy_array(self, array: np.ndarray, where: str) -> Any:
        if array.ndim == 0:
            return array.item()
        if array.ndim == 1 and array.dtype.kind in "fiub":
            return self.array_to_table(array)
        if array.dtype.kind not in "fiubUS":
            raise CopyError(f"{where}: cannot copy a numpy array of dtype {array.dtype}")
        return self.table_from([self._copy_array(row, where) for row in array])


class _CopyState:
    """What one copy into Lua has made so far: tables by source id, fix-ups for cycles."""

    def __init__(self, checkpoint: Checkpoint | None, none: Any = None) -> None:
        self.checkpoint = checkpoint
        self.none = none
        self.done: dict[int, Any] = {}
        self.building: set[int] = set()
        self.fixups: list[tuple[Any, Any, int]] = []
        self.keep: list[Any] = []  # holds copied objects so ids stay unique

    def clear(self) -> None:
        self.done.clear()
        self.fixups.clear()
        self.keep.clear()


class ToPython:
    """Copies Lua tables into Python: keys exactly 1..n make a list, any others a dict.

    Plain values are taken as they come (no Lua type lookup), a table is
    listed once with lupa's own C iteration, and Lua is asked whether a table
    is an array view only when its fields could be one's (an `array` key:
    views on Lua 5.2+ are tables with that field; on 5.1 and LuaJIT they are
    userdata and never reach the table path).
    """

    def __init__(
        self,
        view_array: Callable[[Any], Any],
        reference_object: Callable[[Any], tuple[bool, Any]] | None = None,
    ) -> None:
        self.view_array = view_array
        self.reference_object = reference_object  # an FFI reference's object (LuaJIT)
        self._table_types: set[type] = set()  # lupa's table class of each runtime seen

    def __call__(self, value: Any) -> Any:
        self.done: dict[str, Any] = {}
        try:
            return self._copy(value)
        except RecursionError:
            raise CopyError("table nested too deeply to copy into Python") from None

    def _copy(self, value: Any) -> Any:
        kind = type(value)
        if kind in PRIMITIVE_TYPES:
            return value
        if kind in self._table_types:
            return self._copy_table(value)
        lua_kind = lua_type_of(value)
        if lua_kind == "cdata" and self.reference_object is not None:
            is_reference, obj = self.reference_object(value)
            return obj if is_reference else value
        if lua_kind != "table":
            return value
        self._table_types.add(kind)
        return self._copy_table(value)

    def _copy_table(self, table: Any) -> Any:
        identity = repr(table)  # "<Lua table at 0x...>": the table's address
        done = self.done.get(identity)
        if done is not None:
            return done
        mapping = dict(table.items())  # lupa's C iteration; faster than a list of pairs
        count = len(mapping)
        primitive = PRIMITIVE_TYPES
        if (
            count
            and type(next(iter(mapping))) is int
            and INT_ONLY.issuperset(map(type, mapping))
            and min(mapping) == 1
            and max(mapping) == count  # distinct integers from 1 to count: exactly 1..n
        ):
            result: Any = [None] * count
            self.done[identity] = result
            for k, v in mapping.items():
                result[k - 1] = v if type(v) in primitive else self._copy(v)
            return result
        if "array" in mapping:
            array = self.view_array(table)
            if array is not None:
                return array
        self.done[identity] = mapping
        if primitive.issuperset(map(type, mapping.values())) and primitive.issuperset(
            map(type, mapping)
        ):
            return mapping
        items = list(mapping.items())
        mapping.clear()
        for k, v in items:
            key = k if type(k) in primitive else self._copy(k)
            mapping[key] = v if type(v) in primitive else self._copy(v)
        return mapping
