"""The largest Lua tables reachable from `_G`: where they are, entries, estimated bytes.

Shown after a cell that ended above the warning share, in a memory error,
and by `%lua_memory`, so the user sees which global to drop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ilupa.lua_layer import load_lua_file
from ilupa.memory.budget import format_bytes
from ilupa.memory.limits import RuntimeLimits

MAX_TABLES = 2000
MAX_ENTRIES = 2_000_000
MAX_DEPTH = 4
SHOWN = 5
MIN_BYTES = 64 << 10  # smaller tables (the standard library's, say) are not worth a line


@dataclass(frozen=True)
class TableSize:
    """One table: its path from `_G`, entries counted, estimated bytes."""

    path: str
    entries: int
    bytes: int
    complete: bool

    def describe(self) -> str:
        more = "" if self.complete else "+"
        return f"{self.path}: {self.entries:,}{more} entries, ~{format_bytes(self.bytes)}"


class LargestTables:
    """A bounded walk of the tables reachable from `_G`, compiled once per Lua state."""

    def __init__(self, lua: Any, limits: RuntimeLimits) -> None:
        self._lua = lua
        self._largest = load_lua_file(
            lua,
            "largest_tables",
            slot_bytes=limits.array_slot_bytes,
            node_bytes=limits.hash_node_bytes,
            table_bytes=limits.table_header_bytes,
            string_bytes=limits.string_header_bytes,
        ).largest

    def find(self, shown: int = SHOWN, min_bytes: int = MIN_BYTES) -> list[TableSize]:
        """The `shown` largest tables of at least `min_bytes`, largest first."""
        bounds = {
            "max_tables": MAX_TABLES,
            "max_entries": MAX_ENTRIES,
            "max_depth": MAX_DEPTH,
            "min_bytes": min_bytes,
            "shown": shown,
        }
        columns = self._largest(self._lua.table_from(bounds))
        fields = [list(columns[name].values()) for name in ("path", "entries", "bytes", "complete")]
        return [
            TableSize(str(path), int(entries), int(size), bool(complete))
            for path, entries, size, complete in zip(*fields, strict=True)
        ]


def tables_text(tables: list[TableSize]) -> str:
    """Plain lines, one table each; empty when there is nothing to show."""
    return "\n".join(f"  {table.describe()}" for table in tables)


def few_names(named: list[str], count: int) -> str:
    """`a, b, c`, or `a, b, c and 2,999,997 more` when `count` is past the names given.

    A cell that ran out of memory may have created millions of globals; a message
    that listed them all (9 million characters) was unreadable and itself a
    memory problem. The Lua side hands over a few names and the count.
    """
    text = ", ".join(named)
    rest = count - len(named)
    return f"{text} and {rest:,} more" if rest > 0 else text
