"""Copies into Lua that either fit or are refused with Lua unchanged; never an abort.

lupa builds tables (`table_from`, setting a key from Python) with Lua C API
calls that run outside any protected call. Under a budget, an allocation
refused there is a Lua error with nowhere to go: the process aborts ("PANIC:
unprotected error in call to Lua API"), or, when the copy was asked for from
Lua (`ilupa.copy`), the error unwinds through Python's frames and leaves the
GIL held for good. An estimate alone cannot prevent it: estimates can be off.

So a copy runs in a *copy room*: the budget is lifted while lupa builds the
tables (no allocation can be refused), and as the copy goes (after every 64
tables, any big table, each chunk of records: ilupa/proxy/copies.py's ToLua)
Lua's real usage is compared with the budget. A copy that outgrows it stops
there: every table it made is dropped, garbage is collected, and
`LuaCopyRefused` says what happened; then the budget is restored. The estimate
still runs first (memory/estimate.py), so a copy that clearly cannot fit is
refused before any table is made. The overshoot while a copy runs is at most
the small tables made since the last check, which were estimated to fit.

LuaJIT 2.0 has no budget to lift: its checks compare with the heap guard line
that keeps below the fixed heap (memory/loop_sampling.py), so a copy stops well
before the heap is full.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from typing import Any, Protocol

from ilupa.memory.budget import format_bytes
from ilupa.memory.estimate import LuaCopyRefused


class CopyBudget(Protocol):
    """What a copy room uses of the session's `MemoryGuard` (guard.py), which opens it."""

    _lua: Any
    limits: Any  # its `supports_budget`

    @property
    def effective_limit(self) -> int: ...

    def lifted(self) -> AbstractContextManager[Any]: ...


class CopyRoom:
    """The budget check a copy runs as it goes (see ToLua for how often)."""

    def __init__(self, guard: CopyBudget, what: str, expected: int) -> None:
        self.guard = guard
        self.what = what
        self.expected = expected
        self.limit = guard.effective_limit
        self._used = _usage_reader(guard)
        self._collected = False

    def __call__(self) -> None:
        used = self._used()
        if used > self.limit and not self._collected:
            # Once per copy: garbage from before it (a table just dropped) is no
            # reason to refuse; the copy's own tables are held and stay.
            self._collected = True
            _collect_garbage(self.guard)
            used = self._used()
        if used > self.limit:
            raise LuaCopyRefused(
                f"copying {self.what} into Lua was refused: while it was made, Lua's usage "
                f"reached {format_bytes(used)}, past its {format_bytes(self.limit)} budget "
                f"(the estimate was {format_bytes(self.expected)}). The tables made so far "
                "were dropped; Lua is as it was. Pass it by reference instead "
                "(`%%lua -i NAME` or `py.NAME` in Lua), or raise LuaMagics.memory_limit."
            )


@contextmanager
def copy_room(guard: CopyBudget, what: str, expected: int = 0) -> Iterator[CopyRoom]:
    """Run a copy into Lua with the budget lifted and checked as the copy goes.

    On any failure, the copy's tables (which the copy dropped before its error
    left it: see `ToLua`) are collected before the budget is restored.
    """
    with guard.lifted():
        try:
            yield CopyRoom(guard, what, expected)
        except BaseException:
            _collect_garbage(guard)
            raise


def copy_within_budget(
    guard: CopyBudget, make: Callable[[CopyRoom], Any], what: str, expected: int = 0
) -> Any:
    """`make(room)` in a copy room; its result, or `LuaCopyRefused` with Lua unchanged."""
    with copy_room(guard, what, expected) as room:
        return make(room)


def _usage_reader(guard: CopyBudget) -> Callable[[], int]:
    """Lua's usage in bytes, cheap enough to read after every table."""
    lua = guard._lua
    if guard.limits.supports_budget:
        return lambda: int(lua.get_memory_used() or 0)
    count = lua.eval("function() return collectgarbage('count') end")  # LuaJIT 2.0
    return lambda: int(count() * 1024)


def _collect_garbage(guard: CopyBudget) -> None:
    with suppress(Exception):  # a failing collection must not hide why the copy stopped
        guard._lua.execute("collectgarbage() collectgarbage()")
