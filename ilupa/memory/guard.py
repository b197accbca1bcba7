"""The memory guard a `LuaSession` owns: budget, in-cell watch, memory errors, copies.

On runtimes where lupa can count (every runtime but LuaJIT 2.0) the budget is
lupa's `max_memory`: Lua's allocator refuses past it and the cell fails with a
Lua memory error that ilupa survives. LuaJIT 2.0 cannot take a budget in
lupa, and aborts the process when compiled code fills its fixed heap, so the
loop checks stop the cell at a guard line below the ceiling (heap_guard.py);
its warning comes from the watcher's estimate. Either way the failure is rewritten into a
message naming the limit, the usage and the largest tables.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

from ilupa.errors import LuaMemoryError
from ilupa.lua_layer import load_lua_file
from ilupa.memory.budget import default_memory_limit, format_bytes
from ilupa.memory.copy_room import copy_within_budget
from ilupa.memory.estimate import CopyVerdict, check_copy_fits
from ilupa.memory.gauge import MemoryGauge
from ilupa.memory.limits import limits_for
from ilupa.memory.loop_sampling import (
    LoopSampling,
    guard_line,
    reachable_heap,
    stopped_by_heap_guard,
)
from ilupa.memory.notify import Notice, show_notice
from ilupa.memory.open_line import OpenLine
from ilupa.memory.report import LargestTables, TableSize, few_names, tables_text
from ilupa.memory.watch import MemoryWatch, resident_growth_reader

DEFAULT_WARNING_SHARE = 0.75
RUN_HEADROOM = 1 << 20  # room a run gets past the budget when it starts beyond it


class MemoryGuard:
    """Lua memory accounting for one Lua state."""

    def __init__(
        self,
        runtime: str,
        limit: int | None = None,
        warning_share: float = DEFAULT_WARNING_SHARE,
        notify: Callable[[Notice], None] = show_notice,
    ) -> None:
        self.runtime = runtime
        self.limits = limits_for(runtime)
        self.limit = default_memory_limit() if limit is None else limit
        self.warning_share = warning_share
        self.notify = notify
        self.open_line = OpenLine(lambda notice: self.notify(notice))
        self.last_peak = 0
        self.last_step = 0
        self.last_warned = False
        self._in_force = True  # whether lupa's budget is set now (see `lifted`)
        self._in_user_code = False  # whether the runner has the user's Lua running
        self._lua: Any = None
        self._loop_sampling: LoopSampling | None = None
        self._watch: MemoryWatch | None = None
        self._reachable: int | None = self.limits.heap_ceiling
        self._tables: LargestTables | None = None
        self._gauges: weakref.WeakSet[MemoryGauge] = weakref.WeakSet()

    # -- set-up -----------------------------------------------------------------

    def runtime_options(self) -> dict[str, Any]:
        """Keyword arguments for `LuaRuntime(...)`: the budget, where lupa supports one."""
        return {"max_memory": self.limit} if self.limits.supports_budget else {}

    def attach(self, lua: Any) -> None:
        """Start accounting for `lua`, the runtime created with `runtime_options()`."""
        self._lua = lua
        new_globals = load_lua_file(lua, "new_globals")
        # Fields taken once: lupa reads them wrongly from a coroutine's callbacks.
        self.remember_globals = new_globals.remember
        self._drop_new_globals = new_globals.drop_new
        # Compiled now, not at the first report: a report comes when Lua is near
        # full, and what it compiled then would stay past the budget's last check.
        self._tables = LargestTables(lua, self.limits)

    def budget_switches(self) -> tuple[Callable[[], None] | None, Callable[[], None] | None]:
        """(restore, lift) for ilupa/runner.lua, or (None, None) without a budget.

        A cell run keeps the budget lifted (`lifted`) for all of ilupa's own
        work, where lupa pushes arguments, takes results and keeps references
        outside a protected call; the runner puts it in force while the
        user's Lua runs and lifts it again before returning.
        """
        if not self.limits.supports_budget:
            return None, None
        return self._user_code_starts, self._user_code_ends

    def _user_code_starts(self) -> None:
        self._in_user_code = True
        self._put_in_force()

    def _user_code_ends(self) -> None:
        self._in_user_code = False
        self._take_off()

    def _put_in_force(self) -> None:
        # A run always gets RUN_HEADROOM past what Lua uses: one that starts near
        # or past the budget (a callback kept what it collected, a lowered limit)
        # can still run `big = nil`, so the state can be freed without %lua_reset.
        used = self._lua.get_memory_used() or 0
        self._lua.set_max_memory(max(self.limit, used + RUN_HEADROOM))
        self._in_force = True

    def _take_off(self) -> None:
        self._lua.set_max_memory(0)
        self._in_force = False

    def set_limit(self, limit: int) -> None:
        """Change the budget of the live state."""
        self.limit = limit
        if self._lua is not None and self.limits.supports_budget and self._in_force:
            self._lua.set_max_memory(limit)
        if self._loop_sampling is not None:
            self._loop_sampling.set_line(self._heap_line())
        self._refresh_gauges()

    def set_warning_share(self, share: float) -> None:
        self.warning_share = share
        for gauge in list(self._gauges):
            gauge.warning_share = share
        self._refresh_gauges()

    # -- reading ------------------------------------------------------------------

    def guard_loop_checks(self, every_loop_count: Callable[[Any], None]) -> None:
        """On LuaJIT, make the loop checks sample memory and, on 2.0, guard the heap.

        `every_loop_count` hands the interrupt checks a Lua function to run
        about every millisecond of a loop (see loop_sampling.py).
        """
        self._loop_sampling = LoopSampling(
            self._lua, self.sample_in_cell, self._heap_line(), every_loop_count
        )

    def _heap_line(self) -> int | None:
        return self.effective_limit if self.uses_heap_guard else None

    @property
    def uses_heap_guard(self) -> bool:
        """True where the heap guard stands in for lupa's budget (LuaJIT 2.0)."""
        return bool(self.limits.heap_ceiling) and not self.limits.supports_budget

    def stopped_cell(self, error: BaseException) -> bool:
        """True when `error` is the heap guard stopping a cell: a memory error to report."""
        return self.uses_heap_guard and stopped_by_heap_guard(error)

    @property
    def effective_limit(self) -> int:
        """The budget; on LuaJIT 2.0 at most the heap guard's line below its fixed ceiling."""
        ceiling = self.limits.heap_ceiling
        if ceiling and self.uses_heap_guard:
            return guard_line(self.limit, self._reachable or ceiling)
        return min(self.limit, ceiling) if ceiling else self.limit

    @property
    def warning_bytes(self) -> int:
        return int(self.effective_limit * self.warning_share)

    def used(self) -> int:
        """Bytes Lua uses now: lupa's counter, or Lua's own count on LuaJIT 2.0."""
        counted = self._lua.get_memory_used() if self.limits.supports_budget else None
        if counted is not None:
            return int(counted)
        return int(self._lua.eval("collectgarbage('count')") * 1024)

    def largest_tables(self) -> list[TableSize]:
        """The largest tables reachable from `_G` (bounded walk, estimated bytes)."""
        if self._tables is None:  # not attached yet: no state to walk
            return []
        with self.lifted():  # ilupa's own bookkeeping never fails on a full heap
            return self._tables.find()

    # -- around a cell ------------------------------------------------------------

    @contextmanager
    def watching(self, *, cell: bool = True) -> Iterator[MemoryWatch]:
        """Warn while Lua runs for the user; after it, report if it ended above the share.

        Entered once per outermost run (ilupa/cell_run.py): a nested run is
        watched by the outer one's watch.
        """
        heap_guarded = self._loop_sampling is not None and self.uses_heap_guard
        if heap_guarded and cell and self.limits.heap_ceiling:  # a callback keeps the line
            self._reachable = reachable_heap(self.used(), self.limits.heap_ceiling)
            self._loop_sampling.set_line(self._heap_line())
        self.open_line.cell_started()
        read = self.used if self.limits.supports_budget else resident_growth_reader(self.used())
        # Without lupa's counter the samples mix two sources (resident memory from
        # the thread, Lua's count from loop checks), so steps mean nothing there.
        steps_limit = None if self.uses_heap_guard else self.effective_limit
        watch = MemoryWatch(
            read,
            self.warning_bytes,
            self._warn_running,
            self._sample,
            limit=steps_limit,
            request_steps=self.limits.resize_request_steps,
        )
        if not cell and read() >= self.warning_bytes:
            # A callback (a sort key, an observer) that starts above the share does
            # not warn on every call: only a crossing during it, or its memory error.
            watch.warned = True
        self._watch = watch
        try:
            with watch:
                yield watch
        finally:
            self._watch = None
            self.last_peak = watch.peak
            self.last_step = watch.largest_step
            self.last_warned = watch.announced
            self.open_line.cell_ended()

    def report_after_run(self) -> None:
        """After an outermost run that succeeded: refresh gauges; above the share, say so."""
        used = self.used()
        self._refresh_gauges(used)
        if used >= self.warning_bytes:
            self._report_after_cell(used)

    def sample_in_cell(self, used: int | None = None) -> None:
        """Sample from Lua's own thread (interrupt hook, loop checks) while a cell runs.

        `used` is Lua's own count where lupa has none (LuaJIT 2.0's loop checks).
        """
        watch = self._watch
        if watch is not None:
            watch.sample(None if used is None else int(used))

    def _sample(self, used: int) -> None:
        self.open_line.check_patience()
        for gauge in list(self._gauges):
            gauge.update(used)

    def _warn_running(self, used: int, next_request: int, *, still_running: bool = True) -> None:
        limit = f"{self._limit_name()} of {format_bytes(self.effective_limit)}"
        if next_request:
            text = (
                f"Lua uses {format_bytes(used)} of its {limit}, and a table is growing by "
                f"doubling: its next resize would ask for about {format_bytes(next_request)}, "
                "which does not fit. The cell is still running."
            )
        else:
            state = "the cell is still running." if still_running else "it stopped there."
            text = (
                f"Lua uses {format_bytes(used)}, over {self.warning_share:.0%} of its {limit}; "
                + state
            )
        self.open_line.announce(Notice("warning", text))

    def _report_after_cell(self, used: int) -> None:
        tables = self.largest_tables()
        text = (
            f"after this cell Lua holds {format_bytes(used)} of its {self._limit_name()} of "
            f"{format_bytes(self.effective_limit)}. Largest tables:\n{tables_text(tables)}\n"
            "Set a global to nil (or %lua_reset) to free memory."
        )
        self.notify(Notice("warning", text))

    def _limit_name(self) -> str:
        if self.uses_heap_guard and self.effective_limit < self.limit:
            return f"{self.runtime} heap guard line"
        return "budget"

    # -- at the limit --------------------------------------------------------------

    def explain(
        self, build_error: Callable[[], LuaMemoryError], level: int | None = None
    ) -> LuaMemoryError:
        """Free the failed cell's new globals, collect garbage, and say what happened.

        The budget is lifted first and restored before returning: at the
        limit, even a call from Python into Lua (such as `build_error`, which
        reads the recorded traceback) can fail outside a protected call, and
        Lua 5.1 panics on that. Globals that existed before the cell stay;
        the ones it created are dropped, so the state works again.
        """
        watch = self._watch  # a nested run fails while the outer run's watch goes on
        peak = max(self.last_peak if watch is None else watch.peak, self._safe_used())
        if not (self.last_warned if watch is None else watch.announced):
            # The watch had no sample above the share (a fast fill): the warning
            # still comes first, then the error.
            if watch is not None:
                watch.warned = watch.announced = True
            self._warn_running(peak, 0, still_running=False)
        with self.lifted():
            error = build_error()
            self._collect_garbage()
            try:
                tables = self.largest_tables()
            except Exception:  # the report is a courtesy; the memory error is what matters
                tables = []
            dropped = self._drop_globals(level)
            self._collect_garbage()
            now = self._safe_used()
        return LuaMemoryError(
            self._error_text(peak, now, dropped, tables), error.location, error.lua_traceback
        )

    @contextmanager
    def lifted(self) -> Iterator[None]:
        """Run the block without the budget; afterwards it is in force again if it was.

        For ilupa's own calls into a Lua that may be full: at the limit even
        lupa's bookkeeping (a registry reference for a table it hands to
        Python) fails outside a protected call, and Lua aborts the process.

        Inside the user's Lua (a copy, a callback's bookkeeping) the budget is
        afterwards the one in force before, not a new run's room: a copy that
        fitted just under the budget, mid-cell, left the rest of the cell 1 MiB
        past it. Only when ilupa's own work took Lua past that budget does the
        cell get the room a run would. Between runs (around a whole run) the
        budget comes back with a run's room (`_put_in_force`): Python's own
        calls into Lua there (lupa's item access) have no protected call.
        """
        if not self.limits.supports_budget or self._lua is None or not self._in_force:
            yield
            return
        in_user_code = self._in_user_code
        in_force = self._lua.get_max_memory()
        self._take_off()
        try:
            yield
        finally:
            self._in_user_code = in_user_code  # a nested run ended it; this code goes on
            used = self._lua.get_memory_used() or 0
            if in_user_code and used < in_force:
                self._lua.set_max_memory(in_force)
                self._in_force = True
            else:
                self._put_in_force()

    def _step_note(self, peak: int) -> str:
        """Why a cell failed well below its limit: a table doubling that did not fit."""
        if not self.last_step or peak >= self.warning_bytes:
            return ""
        request = self.limits.resize_request_steps * self.last_step
        return f"; the next table resize, about {format_bytes(request)}, did not fit"

    def _error_text(self, peak: int, now: int, dropped: str, tables: list[TableSize]) -> str:
        if self.uses_heap_guard and self.effective_limit < self.limit:
            limit_text = (
                f"ilupa's guard line of {format_bytes(self.effective_limit)}, kept below the "
                f"{format_bytes(self._reachable or 0)} of {self.runtime}'s fixed "
                f"{format_bytes(self.limits.heap_ceiling or 0)} heap this state can reach,"
            )
        else:
            limit_text = f"the Lua memory budget of {format_bytes(self.limit)}"
        lines = [
            f"Lua ran out of memory: {limit_text} was reached "
            f"(about {format_bytes(peak)} in use when the cell failed{self._step_note(peak)}).",
        ]
        if dropped:
            lines.append(f"Dropped the globals this cell created: {dropped}.")
        lines.append(
            f"Garbage collected: Lua now uses {format_bytes(now)}; globals set before this "
            "cell are intact."
        )
        if tables:
            lines.append("Largest Lua tables:\n" + tables_text(tables))
        lines.append(
            "Keep large data in Python and pass it by reference (`%%lua -i NAME`, `py.NAME`), "
            "or raise LuaMagics.memory_limit."
        )
        return "\n".join(lines)

    def _drop_globals(self, level: int | None) -> str:
        """Drop the globals created since the runner's snapshot at `level` (None: none).

        Returns a few of their names and the count of the rest ("" for none).
        """
        if level is None:
            return ""
        try:
            named, count = self._drop_new_globals(level)
            return few_names([str(name) for name in named.values()], int(count))
        except Exception:
            return ""

    def _safe_used(self) -> int:
        try:
            return self.used()
        except Exception:
            return 0

    def _collect_garbage(self) -> None:
        with suppress(Exception):
            self._lua.execute("collectgarbage() collectgarbage()")

    def used_once_collected(self) -> int:
        """Lua's usage after a full collection: what the state holds, not its garbage.

        For a copy that would not fit beside Lua's usage as it stands: the
        tables a notebook dropped (`t = nil`, or a cell run again) are often
        still garbage, and a refusal should not count them.
        """
        with self.lifted():  # lupa's call into Lua is ilupa's own bookkeeping
            self._collect_garbage()
        return self.used()

    # -- copies into Lua ------------------------------------------------------------

    def check_copy(self, obj: Any, what: str = "this object") -> CopyVerdict:
        """Estimate a copy of `obj` into Lua; refuse (LuaCopyRefused) or warn as needed."""
        verdict = check_copy_fits(
            obj,
            self.runtime,
            self.used(),
            self.effective_limit,
            self.warning_share,
            what,
            collect=self.used_once_collected,
        )
        if verdict.warning:
            self.open_line.announce(Notice("warning", verdict.warning))
        return verdict

    def copy_to_lua(self, obj: Any, what: str = "this object", *, checked: bool = False) -> Any:
        """A Lua table copied from `obj` (lupa's recursive copy), once `check_copy` allowed it.

        `checked=True` skips the estimate when the caller has just made it. The
        copy runs in a copy room (copy_room.py): it fits, or is refused with Lua
        unchanged. ilupa's own copies (`%%lua -c`, `ilupa.copy`) go through
        the proxy layer's `copy_to_lua`, which keeps shared references.
        """
        verdict = None if checked else self.check_copy(obj, what)
        if not isinstance(obj, dict | list | tuple):
            return obj

        def make(room: Any) -> Any:
            table = self._lua.table_from(obj, recursive=True)
            try:
                room()
            except BaseException:
                del table
                raise
            return table

        return copy_within_budget(self, make, what, verdict.estimate.bytes if verdict else 0)

    # -- the gauge ----------------------------------------------------------------------

    def gauge(self, used: int | None = None) -> MemoryGauge:
        """A new gauge that follows this state's memory while cells run, starting at `used`."""
        gauge = MemoryGauge(self.effective_limit, self.warning_share)
        gauge.update(self.used() if used is None else used, force=True)
        self._gauges.add(gauge)
        return gauge

    def _refresh_gauges(self, used: int | None = None) -> None:
        if not self._gauges or self._lua is None:
            return
        used = self.used() if used is None else used
        for gauge in list(self._gauges):
            gauge.limit = self.effective_limit
            gauge.update(used, force=True)

    def summary(self, used: int | None = None) -> Notice:
        """Usage (`used`, else measured now), budget, warning share, runtime ceilings and
        largest tables, for `%lua_memory`."""
        used = self.used() if used is None else used
        limit = self.effective_limit
        lines = [
            f"{format_bytes(used)} used of {format_bytes(limit)} ({used / limit:.1%}); "
            f"warning at {self.warning_share:.0%} ({format_bytes(self.warning_bytes)})",
            f"runtime {self.runtime}: {self.limits.note}",
            f"budget: {format_bytes(self.limit)} (LuaMagics.memory_limit)"
            + (
                ""
                if self.limits.supports_budget
                else "; checked in the loops of cells, at most the heap guard line"
            ),
        ]
        tables = self.largest_tables()
        if tables:
            lines.append("largest tables:\n" + tables_text(tables))
        return Notice("info", "\n".join(lines))
