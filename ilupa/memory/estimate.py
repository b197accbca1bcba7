"""How big a Python object becomes once copied into Lua, before the copy is made.

Copies are explicit in ilupa and estimated first, so a copy that cannot fit
is refused with a message instead of failing halfway with Lua out of memory.
Large sequences are sampled (the first and last items plus an even spread)
and the sample's average is scaled up, so estimating a 10M-item list takes
milliseconds. Short strings are counted once, as Lua interns them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ilupa.errors import LuaMemoryError
from ilupa.memory.budget import format_bytes
from ilupa.memory.limits import RuntimeLimits, limits_for

SAMPLE_SIZE = 256
MAX_DEPTH = 64
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

    def describe(self) -> str:
        return f"about {format_bytes(self.bytes)} in {self.tables:,} Lua table(s)"


@dataclass(frozen=True)
class CopyVerdict:
    """What `check_copy_fits` decided: fits, or fits with a warning."""

    estimate: CopyEstimate
    warning: str | None


class LuaCopyRefused(LuaMemoryError):
    """A copy into Lua was refused before it started; Lua is unchanged."""

    kind = "LuaCopyRefused"


def estimate_lua_bytes(obj: Any, runtime: str | RuntimeLimits) -> CopyEstimate:
    """Estimate the Lua memory a recursive copy of `obj` would take on `runtime`."""
    limits = runtime if isinstance(runtime, RuntimeLimits) else limits_for(runtime)
    estimate = CopyEstimate()
    estimate.bytes = _size(obj, limits, estimate, 0)
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
    if depth >= MAX_DEPTH:
        return 0
    if isinstance(obj, Mapping):
        estimate.tables += 1
        count = len(obj)
        estimate.largest_table_entries = max(estimate.largest_table_entries, count)
        own = limits.table_bytes(0, count)
        items = list(_sample(list(obj.items()) if count <= SAMPLE_SIZE else obj.items(), count))
        nested = estimate.tables
        inner = sum(
            _size(k, limits, estimate, depth + 1) + _size(v, limits, estimate, depth + 1)
            for k, v in items
        )
        estimate.tables = nested + _scaled(estimate.tables - nested, len(items), count)
        return own + _scaled(inner, len(items), count)
    if isinstance(obj, list | tuple | range | set | frozenset) or _is_array(obj):
        estimate.tables += 1
        count = len(obj)
        estimate.largest_table_entries = max(estimate.largest_table_entries, count)
        own = limits.table_bytes(count, 0)
        items = list(_sample(obj, count))
        nested = estimate.tables
        inner = sum(_size(item, limits, estimate, depth + 1) for item in items)
        estimate.tables = nested + _scaled(estimate.tables - nested, len(items), count)
        return own + _scaled(inner, len(items), count)
    return 0  # other objects are copied as references (a small userdata in the slot)


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
) -> CopyVerdict:
    """Refuse (raise `LuaCopyRefused`) a copy that would not fit; warn past the warning share.

    `used` is Lua's memory now, `limit` the effective budget in bytes. The
    message names the size, the limit and the alternative: pass a reference.
    """
    limits = limits_for(runtime)
    estimate = estimate_lua_bytes(obj, limits)
    problems = _runtime_caps(estimate, limits)
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
