"""Copies of plain data across the sandbox's edge, in both directions.

Nothing crosses by reference: Python values go in as fresh Lua tables, and Lua
values come out as Python numbers, strings, lists and dicts. So sandboxed code
never holds a Python object, and Python never holds a table whose metamethods
could run sandboxed code later. The sandbox's Lua state has no string
encoding set (it sees bytes), so text is encoded and decoded here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ilupa.memory.budget import format_bytes
from ilupa.sandbox.errors import NotPlainData, SandboxOutputLimit

MAX_DEPTH = 100
SCALARS = (bool, int, float)


def to_lua(lua: Any, value: Any, what: str, check: Callable[[], None] | None = None) -> Any:
    """A copy of `value` for the sandbox's Lua state; only plain data is accepted.

    `check` runs after each table is made (the sandbox's budget check).
    """
    return _to_lua(lua, value, what, set(), check)


def _to_lua(
    lua: Any, value: Any, what: str, on_path: set[int], check: Callable[[], None] | None
) -> Any:
    if value is None or isinstance(value, SCALARS):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    if isinstance(value, bytes):
        return value
    if isinstance(value, list | tuple | dict):
        if id(value) in on_path:
            raise NotPlainData(f"{what} refers to itself; the sandbox takes only acyclic data")
        if len(on_path) >= MAX_DEPTH:
            raise NotPlainData(f"{what} is nested deeper than {MAX_DEPTH} levels")
        on_path.add(id(value))
        if isinstance(value, dict):
            converted: Any = {}
            for key, item in value.items():
                if not isinstance(key, (str, bytes, *SCALARS)):
                    raise NotPlainData(f"{what} has a key of type {type(key).__name__}")
                converted[_to_lua(lua, key, what, on_path, check)] = _to_lua(
                    lua, item, what, on_path, check
                )
        else:
            converted = [_to_lua(lua, item, what, on_path, check) for item in value]
        on_path.discard(id(value))
        table = lua.table_from(converted)
        if check is not None:
            check()
        return table
    raise NotPlainData(
        f"{what} is a {type(value).__name__}; the sandbox takes only plain data "
        "(None, booleans, numbers, strings, bytes, and lists, tuples and dicts of them), by copy"
    )


class OutputMeter:
    """Counts what copies out of the sandbox take in Python; refuses past `limit` bytes.

    One Lua string reached a hundred times is one string in the sandbox but a
    hundred Python strings once copied out: the copy, not the sandbox, is
    what must be bounded on the host.
    """

    ENTRY_BYTES = 64  # a Python list slot or dict entry with its key, roughly

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def add(self, size: int) -> None:
        self.used += size
        if self.used > self.limit:
            raise SandboxOutputLimit(
                f"copying the sandbox's values out to Python was refused: they would take "
                f"more than {format_bytes(self.limit)} in Python (the sandbox's budget, "
                "LuaMagics.sandbox_memory_limit, bounds its output too; a string the "
                "sandbox holds once counts each time a table reaches it). Nothing was bound."
            )


def from_lua(value: Any, lua_type: Callable[[Any], str | None], meter: OutputMeter) -> Any:
    """A Python copy of a value the sandbox made plain (see `plain` in sandbox.lua).

    `lua_type` is the runtime module's own `lua_type`. Iterating a table with
    `items()` uses Lua's raw `next`, so no metamethod runs here.
    """
    if isinstance(value, bytes):
        meter.add(len(value))
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return value
    if lua_type(value) != "table":
        return value
    items = {}
    for key, item in value.items():
        meter.add(OutputMeter.ENTRY_BYTES)
        items[from_lua(key, lua_type, meter)] = from_lua(item, lua_type, meter)
    if _is_sequence(items):
        return [items[index] for index in range(1, len(items) + 1)]
    return items


def _is_sequence(items: dict[Any, Any]) -> bool:
    return bool(items) and set(items) == set(range(1, len(items) + 1))


def values_from_lua(
    packed: Any, lua_type: Callable[[Any], str | None], meter: OutputMeter
) -> tuple[Any, ...]:
    """The values of a `{n = count, ...}` table the sandbox's runner returned."""
    return tuple(from_lua(packed[index], lua_type, meter) for index in range(1, packed[b"n"] + 1))
