"""How many entries a Lua table has, found without walking a million of them.

Lua has no O(1) entry count: `#t` is the array part's border, and anything
else needs a `next` walk. The walk stops after `COUNT_LIMIT` keys (about 2 ms);
past that the count is stated as approximate.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import islice
from typing import Any

COUNT_LIMIT = 10_000


@dataclass
class TableSize:
    """How big a table is, as far as a bounded walk can tell."""

    length: int  # Lua's `#t`: the array part's border
    counted: int  # keys seen by the walk
    exact: bool  # True when the walk reached the end
    sequence: bool  # every key seen is an integer in 1..length

    @property
    def is_array(self) -> bool:
        return self.length > 0 and self.sequence and (not self.exact or self.counted == self.length)

    def describe(self) -> str:
        if self.exact:
            return f"{self.counted:,} {'entry' if self.counted == 1 else 'entries'}"
        if self.is_array:
            return f"#t = {self.length:,} (other keys not counted)"
        return f"at least {max(self.counted, self.length):,} entries (count stopped)"


def table_size(table: Any, limit: int = COUNT_LIMIT) -> TableSize:
    """Count `table`'s keys up to `limit`; `#t` answers for long arrays in O(log n)."""
    length = len(table)
    counted = 0
    sequence = True
    for key in islice(table.keys(), limit + 1):
        counted += 1
        if sequence and not (isinstance(key, int) and 1 <= key <= length):
            sequence = False
    exact = counted <= limit
    return TableSize(length, min(counted, limit), exact, sequence)
