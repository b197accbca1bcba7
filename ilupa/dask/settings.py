"""What every worker's Lua state is made with: the notebook session's runtime and budget.

A worker's budget defaults to half of that worker's Dask memory limit
(`DEFAULT_WORKER_SHARE`). Dask counts Lua's heap as unmanaged memory; half
leaves room for the partitions the worker holds and stays below Dask's own
thresholds (spill at 70%, pause at 80%, the nanny's restart at 95%), so a
runaway Lua task meets a `LuaMemoryError`, which the worker survives, before
Dask pauses or kills the worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ilupa.memory.budget import default_memory_limit, parse_bytes
from ilupa.memory.guard import DEFAULT_WARNING_SHARE
from ilupa.runtimes import default_runtime

DEFAULT_WORKER_SHARE = 0.5


@dataclass(frozen=True)
class LuaSettings:
    """Runtime and memory settings for the Lua state on each worker.

    `memory_limit` None means: `worker_share` of the worker's memory limit
    (half of the worker machine's RAM when the worker has no limit).
    """

    runtime: str
    memory_limit: int | None = None
    memory_warning: float = DEFAULT_WARNING_SHARE
    worker_share: float = DEFAULT_WORKER_SHARE

    def budget_for(self, worker_memory_limit: int | None) -> int:
        """The Lua budget on a worker whose Dask memory limit is `worker_memory_limit`."""
        if self.memory_limit is not None:
            return self.memory_limit
        if worker_memory_limit:
            return int(worker_memory_limit * self.worker_share)
        return default_memory_limit()


def settings_from_shell(
    shell: Any = None,
    *,
    runtime: str | None = None,
    memory_limit: int | str | None = None,
    memory_warning: float | None = None,
    worker_share: float = DEFAULT_WORKER_SHARE,
) -> LuaSettings:
    """Settings taken from the notebook's `LuaMagics`, where given arguments do not say.

    The notebook's `memory_limit` is used only when it was configured
    (`%config LuaMagics.memory_limit = ...`): its default is a share of the
    notebook machine's RAM, which says nothing about a worker.
    """
    magics = lua_magics(shell)
    if runtime is None:
        runtime = magics.runtime if magics is not None else default_runtime()
    if memory_warning is None:
        memory_warning = magics.memory_warning if magics is not None else DEFAULT_WARNING_SHARE
    if memory_limit is None and magics is not None and _configured(magics, "memory_limit"):
        memory_limit = magics.memory_limit
    if not 0 < worker_share <= 1:
        raise ValueError(f"worker_share must be a fraction in (0, 1], got {worker_share!r}")
    return LuaSettings(
        runtime=runtime,
        memory_limit=None if memory_limit is None else parse_bytes(memory_limit),
        memory_warning=memory_warning,
        worker_share=worker_share,
    )


def lua_magics(shell: Any = None) -> Any:
    """The `LuaMagics` of `shell` (default: the running IPython), None without ilupa loaded."""
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:  # pragma: no cover - IPython is a dependency of ilupa
            return None
        shell = get_ipython()
    if shell is None:
        return None
    return shell.magics_manager.registry.get("LuaMagics")


def _configured(magics: Any, name: str) -> bool:
    section = magics.config.get("LuaMagics", {})
    return name in section
