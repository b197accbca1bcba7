"""The Lua state of one Dask worker: made from the settings, fed the recorded cells, locked.

A worker runs tasks on a pool of threads, and one Lua state runs one thing
at a time, so every use takes the state's lock: Lua tasks on one worker run
one after another (scale with more worker processes, as Dask advises for
code that holds its own interpreter). The memory watch, which samples memory
from a thread while a cell runs, is on for recorded cells and off for
function calls, where it would cost more than a small task; after a call
that leaves Lua above the warning share, the worker logs a warning.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

from ilupa.dask.errors import on_worker
from ilupa.dask.settings import LuaSettings
from ilupa.errors import LuaError
from ilupa.memory.budget import format_bytes
from ilupa.session import LuaSession

logger = logging.getLogger("ilupa.dask")


@dataclass(frozen=True)
class WorkerCell:
    """A `%%lua --workers` cell as recorded: its chunk name (e.g. `In[4]`) and source."""

    chunk_name: str
    source: str


class WorkerLua:
    """One worker's Lua state and the recorded cells it has run, in order."""

    def __init__(self, settings: LuaSettings, address: str, worker_memory_limit: int | None):
        self.settings = settings
        self.address = address
        self.session = LuaSession(
            settings.runtime,
            {},
            memory_limit=settings.budget_for(worker_memory_limit),
            memory_warning=settings.memory_warning,
        )
        self.applied: list[WorkerCell] = []
        self.lock = threading.RLock()
        self._compiled: dict[str, Any] = {}

    def continues(self, settings: LuaSettings, cells: tuple[WorkerCell, ...]) -> bool:
        """True when this state can take `cells` by running only the ones it has not run."""
        return settings == self.settings and tuple(self.applied) == cells[: len(self.applied)]

    def catch_up(self, cells: tuple[WorkerCell, ...]) -> None:
        """Run the recorded cells this state has not run yet, in order."""
        for cell in cells[len(self.applied) :]:
            self.run_cell(cell)

    def run_cell(self, cell: WorkerCell) -> None:
        """Run one recorded cell; a failure names this worker and is not recorded as run."""
        __tracebackhide__ = True
        with self.lock:
            try:
                self.session.run(cell.source, cell.chunk_name)
            except LuaError as error:
                raise on_worker(error, self.address) from None
            self.applied.append(cell)

    def global_function(self, name: str) -> Any:
        """The Lua value at the global `name` (dotted names index tables: `text.words`)."""
        value = self.session.globals
        for part in name.split("."):
            value = value[part] if value is not None else None
        return value

    def compiled(self, source: str, chunk_name: str) -> Any:
        """The function that the Lua expression `source` makes, compiled once per state."""
        function = self._compiled.get(source)
        if function is None:
            name, copy = chunk_name, 1
            while self.session.sources.get(name, source) != source:  # keep each source quotable
                copy += 1
                name = f"{chunk_name}#{copy}"
            (function,) = self.session.run(f"return {source}", name, source=source)
            self._compiled[source] = function
        return function

    def call(self, function: Any, args: tuple[Any, ...]) -> tuple[Any, ...]:
        """Call a Lua function under the state's lock; errors name this worker."""
        __tracebackhide__ = True
        try:
            with self.lock:
                return self.session.call(function, *args)
        except LuaError as error:
            raise on_worker(error, self.address) from None
        finally:
            self._warn_if_high()

    def named_error(self, error: LuaError) -> LuaError:
        """`error`, noted with this worker's address."""
        return on_worker(error, self.address)

    def _warn_if_high(self) -> None:
        memory = self.session.memory
        used = memory.used()
        if used >= memory.warning_bytes:
            logger.warning(
                "Lua on worker %s uses %s of its %s budget (warning share %.0f%%)",
                self.address,
                format_bytes(used),
                format_bytes(memory.effective_limit),
                memory.warning_share * 100,
            )
