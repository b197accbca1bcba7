"""What each Lua runtime lupa ships can hold, as measured or read from its sources.

The figures come from DESIGN.md's measurements (lupa 2.8, x86_64): bytes per
array slot and per hash node, LuaJIT 2.0's fixed 1 GiB heap, LuaJIT 2.1's
table overflow. The PUC table caps are the sources' size constants (array
part 2^MAXBITS); in practice RAM or the budget is hit long before them.
"""

from __future__ import annotations

from dataclasses import dataclass

GIB = 1 << 30


@dataclass(frozen=True)
class RuntimeLimits:
    """One runtime's sizes and ceilings; `None` means no ceiling besides memory."""

    runtime: str
    array_slot_bytes: int
    hash_node_bytes: int
    table_header_bytes: int
    string_header_bytes: int
    heap_ceiling: int | None
    max_table_entries: int | None
    max_string_bytes: int | None
    supports_budget: bool
    note: str
    # What the next resize of a table asks for, in growth steps (the last
    # resize's net growth): 2 where a resize reallocates the doubled array in
    # place, 4 where it allocates the new array before freeing the old.
    resize_request_steps: int = 2

    def table_bytes(self, array_entries: int, hash_entries: int) -> int:
        """Estimated bytes of one table: header, array part, and a power-of-two hash part."""
        nodes = 1 << (hash_entries - 1).bit_length() if hash_entries else 0
        return (
            self.table_header_bytes
            + array_entries * self.array_slot_bytes
            + nodes * self.hash_node_bytes
        )

    def string_bytes(self, length: int) -> int:
        """Estimated bytes of one Lua string of `length` bytes."""
        return self.string_header_bytes + length + 1


RUNTIME_LIMITS: dict[str, RuntimeLimits] = {
    "lua51": RuntimeLimits(
        "lua51", 16, 40, 56, 24, None, 1 << 30, None, True, "array part capped at 2^30 (source)"
    ),
    "lua52": RuntimeLimits(
        "lua52", 16, 40, 56, 24, None, 1 << 30, None, True, "array part capped at 2^30 (source)"
    ),
    "lua53": RuntimeLimits(
        "lua53", 16, 32, 56, 24, None, 1 << 31, None, True, "array part capped at 2^31 (source)"
    ),
    "lua54": RuntimeLimits(
        "lua54", 16, 24, 56, 24, None, 1 << 31, None, True, "a 400M-number table (8 GB) worked"
    ),
    "lua55": RuntimeLimits(
        "lua55",
        9,
        24,
        56,
        24,
        None,
        1 << 31,
        None,
        True,
        "array part capped at 2^31 (source)",
        resize_request_steps=4,
    ),
    "luajit20": RuntimeLimits(
        "luajit20",
        8,
        24,
        40,
        24,
        GIB,
        1 << 27,
        GIB,
        False,
        "fixed ~1 GiB GC heap: LuaMemoryError at 1024 MB used (a 134M-number table)",
    ),
    "luajit21": RuntimeLimits(
        "luajit21",
        8,
        24,
        64,
        24,
        None,
        201_326_592,
        2 * GIB - 64,
        True,
        "table overflow at 201,326,592 entries; strings capped near 2 GiB",
    ),
}


def limits_for(runtime: str) -> RuntimeLimits:
    """The limits of `runtime` (a lupa submodule name such as 'lua54')."""
    return RUNTIME_LIMITS[runtime]
