"""A compact, bounded text form for Lua tables: `{1, 2, 3, name = "x"}`.

lupa's own repr (`<Lua table at 0x...>`) says nothing about the contents; this
one shows them, stops after a fixed number of entries and nesting levels, so
a table of a million entries prints as fast as a small one.
"""

from __future__ import annotations

import re
from itertools import islice
from typing import Any

from ilupa.display.reading import reader
from ilupa.display.table_size import table_size
from ilupa.lua_types import lua_type_of

MAX_ENTRIES = 20
MAX_DEPTH = 2
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


DEFAULT_TABLE_STR = "<Lua table at "


def is_lua_table(value: Any) -> bool:
    return lua_type_of(value) == "table"


def lua_table_text(table: Any, depth: int = 0) -> str:
    """`table` as Lua constructor syntax, truncated past MAX_ENTRIES and MAX_DEPTH."""
    own_text = reader().own_text(table)
    if own_text is not None:
        return own_text  # the table's __tostring metamethod speaks for it
    if depth >= MAX_DEPTH:
        return "{...}"
    parts: list[str] = []
    next_index = 1
    for key, value in islice(table.items(), MAX_ENTRIES):
        text = _value_text(value, depth)
        if key == next_index and isinstance(key, int):
            parts.append(text)
            next_index += 1
        else:
            parts.append(f"{_key_text(key, depth)} = {text}")
    size = table_size(table)  # bounded: a million entries cost no more than ten thousand
    if size.counted > len(parts) or not size.exact:
        more = f"{size.counted - len(parts)}" if size.exact else "many"
        parts.append(f"... ({more} more)")
    return "{" + ", ".join(parts) + "}"


def _key_text(key: Any, depth: int) -> str:
    if isinstance(key, str) and IDENTIFIER.match(key):
        return key
    return f"[{_value_text(key, depth)}]"


def _value_text(value: Any, depth: int) -> str:
    if is_lua_table(value):
        return lua_table_text(value, depth + 1)
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    if isinstance(value, int | float):
        return repr(value)
    kind = lua_type_of(value)
    return f"<Lua {kind}>" if kind else f"<Python {type(value).__name__}>"


def pretty_lua_table(table: Any, printer: Any, cycle: bool) -> None:
    """IPython's pretty-printer hook for `lua_table_text`.

    A printer that raises turns a cell that worked into an error reply, so a
    table that cannot be read (a `__tostring` that fails, a string that is not
    UTF-8) is named instead of shown.
    """
    try:
        text = lua_table_text(table)
    except Exception as error:
        text = unshowable_table_text(error)
    printer.text(text)


def unshowable_table_text(error: Exception) -> str:
    """What a Lua table shows as when reading it for display failed."""
    reason = str(error).splitlines()[0] if str(error) else ""
    return f"<Lua table: not shown ({type(error).__name__}: {reason})>"
