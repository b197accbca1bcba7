"""Lua's own libraries in a cell: where `require` looks, and C modules bound to the live runtime.

`install_lua_libraries` gives a new Lua state the search paths of a standalone
interpreter of its Lua version (`search_paths.py`) and C searchers that bind
C modules to the state's runtime before Lua opens them (`native_modules.py`
and `ilupa/lua_libraries/native_modules.lua`). `%lua_path` shows the paths and
`%lua_rocks` installs rocks where they are found (`rocks.py`).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from ilupa.lua_layer import LuaFile, LuaLayer
from ilupa.lua_libraries.native_modules import NativeModules
from ilupa.lua_libraries.search_paths import SearchPaths, search_paths_for

LUA_FILES: tuple[LuaFile, ...] = (
    LuaFile(
        "native_modules",
        __name__,
        12,
        "lua_libraries/__init__.py",
        "require's C searchers bind C modules to this runtime (after checked_loading's Lua one)",
    ),
)

__all__ = ["SearchPaths", "install_lua_libraries"]


def install_lua_libraries(
    lua: Any, layer: LuaLayer, runtime: str, module: ModuleType
) -> SearchPaths:
    """Set `package.path`/`package.cpath` of `lua` and install the binding C searchers."""
    package = lua.globals().package
    paths = search_paths_for(runtime, package.path, package.cpath)
    package.path = paths.package_path
    package.cpath = paths.package_cpath
    layer.load("native_modules", bind=NativeModules(runtime, module).bind)
    return paths
