"""Reading Lua source: one lexer (`lexer.py`), a cell's trailing value and its placing at
the editor's line (`cells.py`), completeness (`syntax.py`), LuaJIT's loop checks
(`loop_checks.py`) and their Lua half for code loaded at run time (`checked_loading.lua`)."""

from __future__ import annotations

from ilupa.lua_layer import LuaFile

LUA_FILES: tuple[LuaFile, ...] = (
    LuaFile(
        "checked_loading",
        __name__,
        11,
        "session (LuaJIT)",
        "loop checks in code loaded at run time",
    ),
)
