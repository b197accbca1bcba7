"""ilupa on a Dask cluster: Lua states per worker, Lua cells on every worker, Lua in tasks.

    %load_ext ilupa.dask
    %lua_cluster client              # or: cluster = ilupa.dask.attach(client)

    %%lua --workers                  # runs on every worker, and on workers that join later
    function score(rec) return rec.score * 2 + #rec.tags end

    import ilupa.dask as ld
    bag.map(ld.lua("score"))         # a picklable handle, by global name or by source

Install with `pip install ilupa[dask]`. ilupa's core never imports this package.
"""

from __future__ import annotations

from ilupa.dask.cluster import LuaCluster, attach, detach
from ilupa.dask.handles import LuaFunction, lua
from ilupa.dask.magic import load_ipython_extension
from ilupa.dask.plugin import PLUGIN_NAME, LuaWorkerPlugin, worker_lua
from ilupa.dask.settings import DEFAULT_WORKER_SHARE, LuaSettings

__all__ = [
    "DEFAULT_WORKER_SHARE",
    "PLUGIN_NAME",
    "LuaCluster",
    "LuaFunction",
    "LuaSettings",
    "LuaWorkerPlugin",
    "attach",
    "detach",
    "load_ipython_extension",
    "lua",
    "worker_lua",
]
