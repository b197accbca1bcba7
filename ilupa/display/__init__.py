"""How Lua values look in IPython's output."""

from __future__ import annotations

from ilupa.lua_layer import LuaFile

LUA_FILES: tuple[LuaFile, ...] = (
    LuaFile("display", __name__, 23, "display/lua_display.py", "display, widgets"),
)
