"""The Dask worker plugin that gives each worker its Lua state and replays recorded cells.

The client registers one `LuaWorkerPlugin` under `PLUGIN_NAME`, carrying the
settings and every `%%lua --workers` cell so far. Dask keeps it on the
scheduler and sets it up on every worker, now and later: a worker that joins
(adaptive scaling) or comes back (a restarted worker) replays the cells, in
order, when its `setup` runs. Each new cell registers the plugin again with
one more cell; Dask then tears the old one down and sets the new one up on
every worker, and `setup` runs only the cells that worker's state has not
run, so a worker's Lua globals (those made by tasks too) survive.
"""

from __future__ import annotations

import weakref
from typing import Any

from distributed import Worker, WorkerPlugin, get_worker

from ilupa.dask.settings import LuaSettings
from ilupa.dask.worker_lua import WorkerCell, WorkerLua
from ilupa.pickling import refuse_pickling_lua_objects

PLUGIN_NAME = "ilupa-lua"
NOT_ATTACHED = (
    "this Dask worker has no ilupa Lua state: attach the cluster first, in the notebook, "
    "with `%lua_cluster client` (after `%load_ext ilupa.dask`) or ilupa.dask.attach(client)"
)

_states: weakref.WeakKeyDictionary[Worker, WorkerLua] = weakref.WeakKeyDictionary()


class LuaWorkerPlugin(WorkerPlugin):
    """Sets up the Lua state of each worker and runs the recorded cells it lacks."""

    name = PLUGIN_NAME

    def __init__(self, settings: LuaSettings, cells: tuple[WorkerCell, ...] = ()) -> None:
        self.settings = settings
        self.cells = tuple(cells)

    def setup(self, worker: Worker) -> None:
        refuse_pickling_lua_objects()
        state = _states.get(worker)
        if state is None or not state.continues(self.settings, self.cells):
            state = WorkerLua(self.settings, worker.address, _memory_limit(worker))
            _states[worker] = state
        state.catch_up(self.cells)

    def teardown(self, worker: Worker) -> None:
        """Nothing: the next registration continues this worker's state (see `drop_state`)."""


def worker_lua(worker: Worker | None = None) -> WorkerLua:
    """The Lua state of `worker` (default: the worker running this task)."""
    if worker is None:
        try:
            worker = get_worker()
        except ValueError:
            raise RuntimeError(
                "ilupa.dask Lua functions run in tasks on Dask workers; " + NOT_ATTACHED
            ) from None
    state = _states.get(worker)
    if state is None:
        raise RuntimeError(NOT_ATTACHED)
    return state


def drop_state(dask_worker: Worker) -> bool:
    """Forget the worker's Lua state (for `client.run` after the plugin is unregistered)."""
    return _states.pop(dask_worker, None) is not None


def describe_state(dask_worker: Worker) -> dict[str, Any]:
    """What a worker's Lua state is (for `client.run`): runtime, budget, cells run, memory used."""
    state = _states.get(dask_worker)
    if state is None:
        return {}
    memory = state.session.memory
    return {
        "runtime": state.session.runtime_name,
        "memory_limit": memory.effective_limit,
        "memory_used": memory.used(),
        "cells": [cell.chunk_name for cell in state.applied],
    }


def _memory_limit(worker: Worker) -> int | None:
    manager = getattr(worker, "memory_manager", None)
    limit = getattr(manager, "memory_limit", None)
    return int(limit) if limit else None
