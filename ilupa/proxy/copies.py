"""Explicit recursive copies between Python containers and Lua tables.

References are the default in ilupa; a copy is what you ask for when Lua code
needs a real table (or Python a real list). Copies keep the shape of the data
graph: an object reached twice becomes one table reached twice, and cycles
stay cycles (lupa's `table_from` would duplicate or recurse forever).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Mapping
from itertools import chain, count
from typing import Any

import numpy as np

from ilupa.errors import CopyError
from ilupa.lua_function import unwrapped
from ilupa.lua_types import lua_type_of

__all__ = ["CopyError", "ToLua", "ToPython"]

PRIMITIVES = (str, int, float, bool, bytes, type(None))
PRIMITIVE_TYPES = frozenset(PRIMITIVES)
PLAIN_KEYS = frozenset({str, int, bool, bytes})
"""Key types a table takes as they are (a float key could be NaN; None cannot be one)."""
INT_ONLY = frozenset({int})
Checkpoint = Callable[[], None]
"""Called as a copy makes tables (see ToLua): raises to stop a copy that no longer fits."""


class _Pending:
    """Stands for a container whose table is still being built (a cycle back to it)."""

    def __init__(self, key: int) -> None:
        self.key = key


class _Refused(Exception):
    """A copy refusal on its way out: the message, and the path to it, built as it
    leaves each container (no path is formatted for the items that copy fine)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.path: list[str] = []  # innermost first


# The budget is checked after this many tables, or at once after a big one: a
# check reads Lua's usage through lupa, which costs as much as copying a small record.
CHECK_EVERY_TABLES = 64
BIG_TABLE = 1024  # entries


class ToLua:
    """Copies Python data into Lua tables (lists 1-based, dicts by key, arrays as numbers).

    `checkpoint`, when given, runs after every `CHECK_EVERY_TABLES` tables the
    copy made and after every table of `BIG_TABLE` entries or more (see
    ilupa/memory/copy_room.py: it compares Lua's real usage with the budget).
    A copy that fails drops every table it made before the error leaves, so
    the caller can collect them: nothing of a failed copy stays reachable.

    A dict or list whose keys and values are all plain (str, int, float, bool,
    bytes, None; no float keys, which could be NaN) is one `table_from` call:
    lupa's C loop, no Python step per item.
    """

    def __init__(
        self,
        table_from: Callable[..., Any],
        array_to_table: Callable[[np.ndarray], Any],
        append: Callable[[Any, Any, int, int], None],
    ) -> None:
        """`append(dst, src, n, at)` is array_conversions.lua's: dst[at+1..at+n] = src[1..n]."""
        self.table_from = table_from
        self.array_to_table = array_to_table
        self.append = append

    def __call__(self, value: Any, checkpoint: Checkpoint | None = None, none: Any = None) -> Any:
        """A copy of `value`; `none` is what Python's None becomes (nil, a hole, by default:
        fb.python's `eval_none` gives its `py.None` reference instead)."""
        state = _CopyState(checkpoint, none)
        try:
            result = self._copy(state, value)
            if state.unchecked and checkpoint is not None:
                try:
                    checkpoint()  # the tables made since the last check
                except BaseException:
                    result = None  # this frame goes out with the error: it must hold nothing
                    raise
            for table, key, target in state.fixups:
                table[key] = state.done[target]
            return result
        except RecursionError:
            state.clear()
            raise CopyError("data nested too deeply to copy into Lua") from None
        except _Refused as refused:
            state.clear()
            where = "value" + "".join(reversed(refused.path))
            raise CopyError(f"{where}: {refused.message}") from None
        except BaseException as error:
            state.clear()
            raise error.with_traceback(None) from None  # its frames held the new tables

    def _copy(self, state: _CopyState, value: Any) -> Any:
        if value is None:
            return state.none
        kind = type(value)
        plain = kind is dict or kind is list  # the usual containers: no other checks
        if not plain:
            if isinstance(value, PRIMITIVES) or lua_type_of(value) is not None:
                return unwrapped(value)  # a Lua function handed to Python goes back as itself
            if isinstance(value, np.generic):
                return value.item()
        key = id(value)
        if key in state.done:
            return state.done[key]
        if key in state.building:
            return _Pending(key)
        if state.placements:  # a record (or its list) copied in a chunk, reached again
            table = state.placed_table(key)
            if table is not None:
                return table
        if plain and state.plain.issuperset(map(type, value.values() if kind is dict else value)):
            if kind is list or PLAIN_KEYS.issuperset(map(type, value)):
                table = self.table_from(value)  # lupa's C loop, nothing to convert
                size = len(value)
            else:
                size = len(value)
                table = self._copy_container(state, key, list(value.items()))
        elif kind is dict:
            size = len(value)
            table = self._copy_container(state, key, list(value.items()))
        elif kind is list:
            size = len(value)
            table = self._copy_sequence(state, key, value)
        elif isinstance(value, np.ndarray):
            table = self._copy_array(value)
            size = value.size
        elif isinstance(value, Mapping):
            size = len(value)
            table = self._copy_container(state, key, list(value.items()))
        elif isinstance(value, list | tuple):
            size = len(value)
            table = self._copy_sequence(state, key, value)
        elif isinstance(value, set | frozenset):
            size = len(value)
            table = self._copy_container(state, key, [(v, True) for v in value])
        else:
            return value  # other objects stay references inside the copy
        state.done[key] = table
        state.keep.append(value)
        state.unchecked += 1
        if state.checkpoint is not None and (
            state.unchecked >= CHECK_EVERY_TABLES or size >= BIG_TABLE
        ):
            state.unchecked = 0
            state.checkpoint()
        return table

    def _copy_container(self, state: _CopyState, key: int, items: list[tuple[Any, Any]]) -> Any:
        state.building.add(key)
        converted: dict[Any, Any] = {}
        pending: list[tuple[Any, int]] = []
        for item_key, item in items:
            lua_key = self._copy(state, item_key)
            if lua_key is None or (isinstance(lua_key, float) and math.isnan(lua_key)):
                raise _Refused(f"a Lua table key cannot be {item_key!r}")
            if isinstance(lua_key, _Pending):
                raise _Refused("a container cannot be a key inside itself")
            try:
                lua_value = self._copy(state, item)
            except _Refused as refused:
                refused.path.append(f"[{item_key!r}]")
                raise
            if isinstance(lua_value, _Pending):
                pending.append((lua_key, lua_value.key))
            elif lua_value is not None:
                converted[lua_key] = lua_value
        state.building.discard(key)
        table = self.table_from(converted)
        state.fixups.extend((table, k, target) for k, target in pending)
        return table

    def _copy_sequence(self, state: _CopyState, key: int, items: Any) -> Any:
        """A list or tuple: its items in order (None leaves a hole, as nil does)."""
        if state.plain.issuperset(map(type, items)):
            return self.table_from(items)  # nothing to convert: one lupa call
        if type(items) is list:
            nested = _plain_records(state, items)
            if nested is not None:
                return self._copy_records(state, items, nested)
        state.building.add(key)
        converted: list[Any] = []
        pending: list[tuple[int, int]] = []
        for index, item in enumerate(items):
            try:
                lua_value = self._copy(state, item)
            except _Refused as refused:
                refused.path.append(f"[{index!r}]")
                raise
            if isinstance(lua_value, _Pending):
                pending.append((index + 1, lua_value.key))
                lua_value = False  # a stand-in until the fix-up sets the table
            converted.append(lua_value)
        state.building.discard(key)
        table = self.table_from(converted)
        state.fixups.extend((table, k, target) for k, target in pending)
        return table

    def _copy_records(self, state: _CopyState, records: list[Any], lists: list[Any]) -> Any:
        """Plain records: lupa's recursive `table_from`, a chunk at a time (the budget
        checked after each), appended into one table. Where each record went is noted,
        so that one reached again later in the data is the same table; so is each list
        in them, unless its dict alone holds it (then nothing else can reach it)."""
        table = self.table_from([])
        for start in range(0, len(records), RECORDS_CHUNK):
            part = records[start : start + RECORDS_CHUNK]
            self.append(table, self.table_from(part, recursive=True), len(part), start)
            if state.checkpoint is not None:
                state.unchecked = 0
                state.checkpoint()
        places: dict[int, tuple[int, Any]] = {}
        if lists and max(map(sys.getrefcount, lists)) > 3:  # its dict's, `lists`', the call's
            for index, record in enumerate(records, 1):
                for field, value in record.items():
                    if type(value) is list:
                        places[id(value)] = (index, field)
        state.placements.append((table, dict(zip(map(id, records), count(1))), places))
        state.keep.append(records)
        return table

    def _copy_array(self, array: np.ndarray) -> Any:
        if array.ndim == 0:
            return array.item()
        if array.ndim == 1 and array.dtype.kind in "fiub":
            return self.array_to_table(array)
        if array.dtype.kind not in "fiubUS":
            raise _Refused(f"cannot copy a numpy array of dtype {array.dtype}")
        return self.table_from([self._copy_array(row) for row in array])


RECORDS_CHUNK = 1024  # records per recursive table_from: the budget's check between two
DICT_ONLY = {dict}
LIST_ONLY = {list}


def _plain_records(state: _CopyState, items: list[Any]) -> list[Any] | None:
    """For a list of dicts of plain keys and values (or lists of plain values), each
    met once in it and none met before in this copy: the lists in them; else None.

    Lupa's recursive `table_from` makes a table each time it meets an object, so a
    record or list met twice in the chunk would become two tables: those go the
    general way. Each test is a C pass over the items.
    """
    if set(map(type, items)) != DICT_ONLY or not PLAIN_KEYS.issuperset(
        map(type, chain.from_iterable(items))
    ):
        return None
    if not state.unmet(items):
        return None
    value_types = set(map(type, chain.from_iterable(map(dict.values, items))))
    if value_types <= state.plain:
        return []
    if value_types - state.plain != LIST_ONLY:
        return None
    lists = [v for v in chain.from_iterable(map(dict.values, items)) if type(v) is list]
    if not state.unmet(lists) or not state.plain.issuperset(map(type, chain.from_iterable(lists))):
        return None
    return lists


class _CopyState:
    """What one copy into Lua has made so far: tables by source id, fix-ups for cycles."""

    def __init__(self, checkpoint: Checkpoint | None, none: Any = None) -> None:
        self.checkpoint = checkpoint
        self.none = none
        self.done: dict[int, Any] = {}
        self.building: set[int] = set()
        self.fixups: list[tuple[Any, Any, int]] = []
        self.keep: list[Any] = []  # holds copied objects so ids stay unique
        self.unchecked = 0  # tables made since the budget was last checked
        # chunks of records: (their table, each record's index by id, each list's
        # (index, field) by id when something else holds it)
        self.placements: list[tuple[Any, dict[int, int], dict[int, tuple[int, Any]]]] = []
        # the value types a table takes as they are (None a hole, unless it has a value)
        self.plain = PRIMITIVE_TYPES if none is None else PRIMITIVE_TYPES - {type(None)}

    def unmet(self, objects: list[Any]) -> bool:
        """True when each of `objects` is there once and none was met before in this copy."""
        ids = set(map(id, objects))
        return (
            len(ids) == len(objects)
            and ids.isdisjoint(self.done)
            and all(
                ids.isdisjoint(at) and ids.isdisjoint(places) for _, at, places in self.placements
            )
        )

    def placed_table(self, key: int) -> Any:
        """The table a chunk of records made for the object `key`, or None (noted as done)."""
        for holder, at, places in self.placements:
            index = at.get(key)
            if index is not None:
                table = holder[index]
                break
            if key in places:
                index, field = places[key]
                table = holder[index][field]
                break
        else:
            return None
        self.done[key] = table
        return table

    def clear(self) -> None:
        self.done.clear()
        self.placements.clear()
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
