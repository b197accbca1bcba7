"""The editor's helpers: completion (`completion.py`), inspection (`inspection.py`) and the
signatures of Lua's standard library (`stdlib.py`)."""

from __future__ import annotations

from ilupa.lua_layer import LuaFile

LUA_FILES: tuple[LuaFile, ...] = ()
