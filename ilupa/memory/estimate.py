"""How big a Python object becomes once copied into Lua, before the copy is made.

Copies are explicit in ilupa and estimated first, so a copy that cannot fit
is refused with a message instead of failing halfway with Lua out of memory.
Large sequences are sampled (the first and last items plus an even spread)
and the sample's average is scaled up, so estimating a 10M-item list takes
milliseconds. Short strings are counted once, as Lua interns them; a
container reached twice (shared, or a cycle) once, as the copy keeps it one
table. There is no depth below which data counts as free: the walk goes as
deep as the copy does, and data nested deeper than a copy can go is refused
here already. An array part is counted at the power of two its table grows
to, as copies fill tables one entry at a time.

The estimate is the first of two checks: the copy itself also checks Lua's
real usage as it goes (ilupa/memory/copy_room.py), so an estimate that was
wrong refuses the copy instead of letting it fill Lua.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ilupa.errors import CopyError, LuaMemoryError
from ilupa.memory.budget import format_bytes
from ilupa.memory.limits import RuntimeLimits, limits_for

SAMPLE_SIZE = 256
INTERNED_STRING_LENGTH = 40
SCALARS = (bool, int, float, type(None))


@dataclass
class CopyEstimate:
    """The estimated Lua footprint of a copy, and the sizes that meet runtime caps."""

    bytes: int = 0
    tables: int = 0
    largest_table_entries: int = 0
    longest_string: int = 0
    _interned: set[str] = field(default_factory=set, repr=False)
    _seen: set[int] = field(default_factory=set, repr=False)

    def describe(self) -> str:
        return f"about {format_bytes(self.bytes)} in {self.tables:,} Lua table(s)"


@dataclass(frozen=True)
class CopyVerdict:
    """What `check_copy_fits` decided: fits, or fits with a warning."""

    estimate: CopyEstimate
    warning: str | None


class LuaCopyRefused(LuaMemoryError, CopyError):
    """A copy into Lua was refused (before, or as it outgrew the budget); Lua is unchanged."""

    kind = "LuaCopyRefused"


def estimate_lua_bytes(obj: Any, runtime: str | RuntimeLimits) -> CopyEstimate:
    """Estimate the Lua memory a recursive copy of `obj` would take on `runtime`."""
    limits = runtime if isinstance(runtime, RuntimeLimits) else limits_for(runtime)
    estimate = CopyEstimate()
    try:
        estimate.bytes = _size(obj, limits, estimate, 0)
    except RecursionError:
        raise LuaCopyRefused(
            "copying this object into Lua was refused: it is nested too deeply to copy "
            "(more levels than Python's recursion limit). Nothing was copied. Pass it by "
            "reference instead (`%%lua -i NAME` or `py.NAME` in Lua)."
        ) from None
    return estimate


def _size(obj: Any, limits: RuntimeLimits, estimate: CopyEstimate, depth: int) -> int:
    if isinstance(obj, SCALARS):
        return 0  # stored inside the slot that holds it
    if isinstance(obj, str | bytes | bytearray):
        length = len(obj.encode("utf-8")) if isinstance(obj, str) else len(obj)
        estimate.longest_string = max(estimate.longest_string, length)
        if isinstance(obj, str) and length <= INTERNED_STRING_LENGTH:
            if obj in estimate._interned:
                return 0
            estimate._interned.add(obj)
        return limits.string_bytes(length)
    if _is_container(obj):
        if id(obj) in estimate._seen:
            return 0  # the copy makes one table for it, whatever reaches it
        estimate._seen.add(id(obj))
    if isinstance(obj, Mapping | set | frozenset):  # a set becomes {item = true}
        estimate.tables += 1
        count = len(obj)
        estimate.largest_table_entries = max(estimate.largest_table_entries, count)
        own = limits.table_bytes(0, count)
        pairs = obj.items() if isinstance(obj, Mapping) else ((item, True) for item in obj)
        items = list(_sample(list(pairs) if count <= SAMPLE_SIZE else pairs, count))
        nested = estimate.tables
        inner = sum(
            _size(k, limits, estimate, depth + 1) + _size(v, limits, estimate, depth + 1)
            for k, v in items
        )
        estimate.tables = nested + _scaled(estimate.tables - nested, len(items), count)
        return own + _scaled(inner, len(items), count)
    if isinstance(obj, list | tuple | range) or _is_array(obj):
        estimate.tables += 1
        count = len(obj)
        estimate.largest_table_entries = max(estimate.largest_table_entries, count)
        own = limits.table_bytes(_grown_array(count), 0)
        items = list(_sample(obj, count))
        nested = estimate.tables
        inner = sum(_size(item, limits, estimate, depth + 1) for item in items)
        estimate.tables = nested + _scaled(estimate.tables - nested, len(items), count)
        return own + _scaled(inner, len(items), count)
    return 0  # other objects are copied as references (a small userdata in the slot)


def _is_container(obj: Any) -> bool:
    """Python containers, which keep their identity (numpy rows are made anew each time)."""
    return isinstance(obj, Mapping | list | tuple | set | frozenset)


def _grown_array(count: int) -> int:
    """The array slots a table filled entry by entry ends with: doubling, from 1."""
    return 1 << (count - 1).bit_length() if count else 0


def _is_array(obj: Any) -> bool:
    return hasattr(obj, "__array__") and hasattr(obj, "__len__") and hasattr(obj, "shape")


def _sample(items: Any, count: int) -> Any:
    """All items of small containers; an even spread of SAMPLE_SIZE items of large ones."""
    if count <= SAMPLE_SIZE:
        return items
    if not hasattr(items, "__getitem__"):
        items = list(items)
    step = count / SAMPLE_SIZE
    return (items[int(i * step)] for i in range(SAMPLE_SIZE))


def _scaled(inner: int, sampled: int, count: int) -> int:
    if sampled == 0 or sampled == count:
        return inner
    return int(inner * count / sampled)


def check_copy_fits(
    obj: Any,
    runtime: str,
    used: int,
    limit: int,
    warning_share: float,
    what: str = "this object",
    collect: Callable[[], int] | None = None,
) -> CopyVerdict:
    """Refuse (raise `LuaCopyRefused`) a copy that would not fit; warn past the warning share.

    `used` is Lua's memory now, `limit` the effective budget in bytes. The
    message names the size, the limit and the alternative: pass a reference.
    `collect`, when given, is called once if the copy does not fit beside
    `used`: it collects Lua's garbage and gives the usage after, so that
    tables already dropped (`t = nil` before copying again) do not refuse it.
    """
    limits = limits_for(runtime)
    estimate = estimate_lua_bytes(obj, limits)
    problems = _runtime_caps(estimate, limits)
    if collect is not None and used + estimate.bytes > limit and not problems:
        used = collect()
    after = used + estimate.bytes
    if after > limit:
        problems.insert(
            0,
            f"Lua would use {format_bytes(after)} of its {format_bytes(limit)} budget "
            f"(now {format_bytes(used)})",
        )
    if problems:
        raise LuaCopyRefused(
            f"copying {what} into Lua was refused: {estimate.describe()}; "
            + "; ".join(problems)
            + ". Nothing was copied. Pass it by reference instead "
            "(`%%lua -i NAME` or `py.NAME` in Lua), or as an array view for numeric data."
        )
    warning = None
    if after > warning_share * limit:
        warning = (
            f"copying {what} into Lua takes {estimate.describe()}: Lua will use "
            f"{format_bytes(after)}, over {warning_share:.0%} of its {format_bytes(limit)} budget."
        )
    return CopyVerdict(estimate, warning)


def _runtime_caps(estimate: CopyEstimate, limits: RuntimeLimits) -> list[str]:
    problems = []
    if limits.max_table_entries and estimate.largest_table_entries > limits.max_table_entries:
        problems.append(
            f"a table of {estimate.largest_table_entries:,} entries exceeds {limits.runtime}'s "
            f"{limits.max_table_entries:,}-entry table limit"
        )
    if limits.max_string_bytes and estimate.longest_string > limits.max_string_bytes:
        problems.append(
            f"a string of {format_bytes(estimate.longest_string)} exceeds {limits.runtime}'s "
            f"{format_bytes(limits.max_string_bytes)} string limit"
        )
    return problems
