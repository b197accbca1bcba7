"""The client side: a Dask client's workers with Lua states, and the record of worker cells.

`attach(client)` registers `LuaWorkerPlugin` and returns a `LuaCluster`, which
the `%%lua --workers` option runs its cells through. A cell is recorded only
when it ran on every worker without error; a failing cell's error (the same
`ilupa.LuaError` class, naming the worker, cell and line) is raised here and
the record goes back to what it was, so workers that join later never replay
it. Statements of the failing cell that ran before the error keep their
effects on the workers that ran them, as in a local cell.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from typing import Any

from distributed import Client

from ilupa.dask.plugin import PLUGIN_NAME, LuaWorkerPlugin, describe_state, drop_state
from ilupa.dask.settings import (
    DEFAULT_WORKER_SHARE,
    LuaSettings,
    lua_magics,
    settings_from_shell,
)
from ilupa.dask.worker_lua import WorkerCell
from ilupa.pickling import refuse_pickling_lua_objects


class LuaCluster:
    """A Dask client whose workers have Lua states; runs and records `--workers` cells."""

    def __init__(self, client: Client, settings: LuaSettings) -> None:
        self.client = client
        self.settings = settings
        self.cells: list[WorkerCell] = []
        self._register(())

    @property
    def sources(self) -> Mapping[str, str]:
        """Recorded cells by chunk name (the magics pick fresh chunk names against it)."""
        return {cell.chunk_name: cell.source for cell in self.cells}

    def run_cell(self, code: str, chunk_name: str) -> None:
        """Run `code` on every worker as the chunk `chunk_name`; record it if all succeed."""
        __tracebackhide__ = True
        cell = WorkerCell(chunk_name, code)
        try:
            self._register((*self.cells, cell))
        except BaseException:
            with suppress(Exception):  # the cell's own error is the one to report
                self._register(tuple(self.cells))
            raise
        self.cells.append(cell)

    def workers(self) -> dict[str, dict[str, Any]]:
        """Each worker's Lua state: runtime, budget, memory used, the cells it has run."""
        return self.client.run(describe_state)

    def detach(self) -> None:
        """Unregister the plugin and drop every worker's Lua state."""
        self.client.unregister_worker_plugin(PLUGIN_NAME)
        self.client.run(drop_state)

    def _register(self, cells: tuple[WorkerCell, ...]) -> None:
        self.client.register_plugin(LuaWorkerPlugin(self.settings, cells), name=PLUGIN_NAME)


def attach(
    client: Client,
    *,
    runtime: str | None = None,
    memory_limit: int | str | None = None,
    memory_warning: float | None = None,
    worker_share: float = DEFAULT_WORKER_SHARE,
    shell: Any = None,
) -> LuaCluster:
    """Give every worker of `client` (now and later) a Lua state, and `%%lua --workers`.

    Settings not given come from the notebook's `LuaMagics` (runtime,
    memory_warning, and memory_limit when configured); the budget otherwise
    is `worker_share` of each worker's memory limit. Attaching again starts
    fresh Lua states with no recorded cells.
    """
    refuse_pickling_lua_objects()
    settings = settings_from_shell(
        shell,
        runtime=runtime,
        memory_limit=memory_limit,
        memory_warning=memory_warning,
        worker_share=worker_share,
    )
    client.run(drop_state)
    cluster = LuaCluster(client, settings)
    magics = lua_magics(shell)
    if magics is not None:
        magics.workers = cluster
    return cluster


def detach(cluster: LuaCluster, shell: Any = None) -> None:
    """Drop the workers' Lua states; `%%lua --workers` needs a new `attach`."""
    cluster.detach()
    magics = lua_magics(shell)
    if magics is not None and magics.workers is cluster:
        magics.workers = None
