"""Debugging Lua cells in the ilupa kernel: JupyterLab's debugger (the Jupyter debug
protocol) answered for Lua (`protocol.py`), over a line hook in the live state
(`debugger.lua`, loaded when a debug session first reaches a cell)."""

from __future__ import annotations

from ilupa.lua_layer import LuaFile

LUA_FILES: tuple[LuaFile, ...] = (
    LuaFile(
        "debugger",
        __name__,
        None,
        "debugger/protocol.py",
        "the kernel's debugger: on the first cell after a debug session starts",
    ),
)
