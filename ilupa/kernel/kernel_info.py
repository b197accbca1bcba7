"""What the ilupa kernel tells a frontend about itself beyond IPython's defaults.

Help links follow the live runtime (`%lua_reset lua54` changes them): LuaJIT runs
Lua 5.1 with its own extensions, so it points at LuaJIT's site and the 5.1 manual;
PUC Lua 5.x at the manual of its own version. The `debugger` feature is always
offered: it is ilupa's own, for Lua cells (ilupa/debugger), not ipykernel's
debugpy, which debugs Python.
"""

from __future__ import annotations

import re

LUA_MANUAL = "https://www.lua.org/manual/{version}/"
LUAJIT_LINKS = (
    {"text": "LuaJIT", "url": "https://luajit.org/luajit.html"},
    {"text": "LuaJIT extensions (FFI, bit, jit)", "url": "https://luajit.org/extensions.html"},
    {"text": "Lua 5.1 manual", "url": LUA_MANUAL.format(version="5.1")},
)
LUA_FEATURES = ("debugger",)


def help_links(lua_implementation: str) -> list[dict[str, str]]:
    """Links for the runtime lupa reports, e.g. ``LuaJIT 2.1.1700008891`` or ``Lua 5.4.7``."""
    if lua_implementation.startswith("LuaJIT"):
        return list(LUAJIT_LINKS)
    version = re.search(r"\d+\.\d+", lua_implementation)
    shown = version[0] if version else "5.4"
    return [{"text": f"Lua {shown} manual", "url": LUA_MANUAL.format(version=shown)}]


def lua_features(supported_features: list[str]) -> list[str]:
    """ipykernel's supported features, with the debugger (Lua's) whether debugpy is there or not."""
    return [f for f in supported_features if f not in LUA_FEATURES] + list(LUA_FEATURES)
