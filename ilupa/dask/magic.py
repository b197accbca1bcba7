"""`%lua_cluster`: attach a Dask client's workers to ilupa from a notebook cell.

`%load_ext ilupa.dask` registers it (and loads ilupa). Then `%lua_cluster client`
attaches the client held by the Python variable `client`; `%lua_cluster` alone
lists each worker's Lua state; `%lua_cluster --detach` drops them.
"""

from __future__ import annotations

from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class, needs_local_scope
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from ilupa.dask.cluster import LuaCluster, attach, detach
from ilupa.memory.budget import format_bytes


@magics_class
class ClusterMagics(Magics):
    """Lua states on the workers of a Dask cluster."""

    def __init__(self, shell: Any = None, **kwargs: Any) -> None:
        super().__init__(shell=shell, **kwargs)
        self.cluster: LuaCluster | None = None

    @magic_arguments()
    @argument("client", nargs="?", help="Python variable holding a dask.distributed Client.")
    @argument(
        "--memory-limit",
        help="Lua budget per worker, e.g. '512MiB' (default: half of each worker's limit).",
    )
    @argument("--runtime", help="Lua runtime on the workers (default: the notebook's).")
    @argument("--detach", action="store_true", help="Drop every worker's Lua state.")
    @needs_local_scope
    @line_magic
    def lua_cluster(self, line: str, local_ns: dict[str, Any] | None = None) -> LuaCluster | None:
        """Give each worker of a Dask client a Lua state for `%%lua --workers` and Lua tasks."""
        args = parse_argstring(self.lua_cluster, line)
        if args.detach:
            if self.cluster is not None:
                detach(self.cluster, self.shell)
                self.cluster = None
            return None
        if args.client is None:
            self._describe()
            return None
        namespace = {**self.shell.user_ns, **(local_ns or {})}
        if args.client not in namespace:
            raise UsageError(f"no Python variable named {args.client!r}")
        self.cluster = attach(
            namespace[args.client],
            runtime=args.runtime,
            memory_limit=args.memory_limit,
            shell=self.shell,
        )
        count = len(self.cluster.client.scheduler_info(n_workers=-1)["workers"])
        print(f"Lua states on {count} Dask workers (runtime {self.cluster.settings.runtime})")
        return None

    def _describe(self) -> None:
        if self.cluster is None:
            print("No cluster attached: %lua_cluster CLIENT")
            return
        for address, state in sorted(self.cluster.workers().items()):
            used, limit = format_bytes(state["memory_used"]), format_bytes(state["memory_limit"])
            cells = ", ".join(state["cells"]) or "no cells"
            print(f"{address}: {state['runtime']}, Lua {used} of {limit}; ran {cells}")


def load_ipython_extension(shell: Any) -> None:
    """Load ilupa (if needed) and register `%lua_cluster`."""
    import ilupa

    ilupa.load_ipython_extension(shell)
    if "ClusterMagics" not in shell.magics_manager.registry:
        shell.register_magics(ClusterMagics(shell))
