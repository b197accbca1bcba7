"""Stopping running Lua: the SIGINT watcher and the guard of a run (`guard.py`), the hooks
on every Lua thread (`hooks.py`), and their Lua half (`interrupt.lua`, `user_hooks.lua`)."""

from __future__ import annotations

from ilupa.lua_layer import LuaFile

LUA_FILES: tuple[LuaFile, ...] = (
    LuaFile(
        "interrupt",
        __name__,
        9,
        "interrupt/guard.py",
        "hooks, coroutine registration, pcall passing interrupts",
    ),
    LuaFile(
        "user_hooks",
        __name__,
        10,
        "session",
        "debug.sethook/gethook: a user's hook sees no ilupa frame, the interrupt's goes on",
    ),
)
