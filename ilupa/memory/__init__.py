"""Lua memory accounting: runtime limits, the budget, copy estimates, in-cell warnings.

`MemoryGuard` (guard.py) is what a `LuaSession` owns; the other modules each do
one job for it: `limits` (what each runtime can hold), `budget` (parsing and
defaults), `estimate` (the Lua size of a Python object before it is copied),
`watch` (the thread that warns while a cell runs), `report` (the largest Lua
tables), `notify` (rich or plain warnings) and `gauge` (the ipywidgets gauge).
"""

from ilupa.lua_layer import LuaFile
from ilupa.memory.budget import default_memory_limit, format_bytes, parse_bytes
from ilupa.memory.estimate import CopyEstimate, LuaCopyRefused, check_copy_fits, estimate_lua_bytes
from ilupa.memory.guard import MemoryGuard
from ilupa.memory.limits import RUNTIME_LIMITS, RuntimeLimits, limits_for

LUA_FILES: tuple[LuaFile, ...] = (
    LuaFile(
        "new_globals", __name__, 8, "memory/guard.py", "which globals a cell added (memory report)"
    ),
    LuaFile(
        "loop_sampling",
        __name__,
        13,
        "memory/loop_sampling.py (LuaJIT 2.0)",
        "memory checks from loops",
    ),
    LuaFile(
        "largest_tables",
        __name__,
        None,
        "memory/report.py",
        "the memory report (compiled at attach)",
    ),
)

__all__ = [
    "RUNTIME_LIMITS",
    "CopyEstimate",
    "LuaCopyRefused",
    "MemoryGuard",
    "RuntimeLimits",
    "check_copy_fits",
    "default_memory_limit",
    "estimate_lua_bytes",
    "format_bytes",
    "limits_for",
    "parse_bytes",
]
