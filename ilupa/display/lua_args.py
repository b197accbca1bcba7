"""Lua tables as Python call arguments: `f{1, 2, key = v}` means `f(1, 2, key=v)`.

Lua has no keyword arguments, so Lua code passes one table; these helpers
split it into positional values (the 1..n part) and keywords (string keys),
turning nested tables into lists and dicts that Python libraries accept.
"""

from __future__ import annotations

from typing import Any

from ilupa.display.text import is_lua_table


def split_arguments(table: Any) -> tuple[list[Any], dict[str, Any]]:
    """The 1..n part of `table` as positional values, its string keys as keywords."""
    length = len(table)
    positional = [to_python(table[i]) for i in range(1, length + 1)]
    keywords = {key: to_python(value) for key, value in table.items() if isinstance(key, str)}
    return positional, keywords


def to_python(value: Any, sequence_type: type = list) -> Any:
    """A Lua table as a list (1..n keys only) or a dict; other values unchanged."""
    if not is_lua_table(value):
        return value
    length = len(value)
    keys = list(value.keys())
    if len(keys) == length:
        return sequence_type(to_python(value[i], sequence_type) for i in range(1, length + 1))
    return {key: to_python(item, sequence_type) for key, item in value.items()}


def options_of(table: Any) -> dict[str, Any]:
    """An options table (`{display_id = "x"}`) as a dict; nil gives an empty one."""
    if table is None:
        return {}
    if not is_lua_table(table):
        raise TypeError(f"expected a table of options, got {type(table).__name__}")
    return {str(key): to_python(value) for key, value in table.items()}
