"""ilupa's Lua layer: which Lua files a session loads, in which order, and why.

Every Lua file ilupa runs inside a user's state is listed in `LOAD_ORDER` (or
`ON_DEMAND`) and loaded through `LuaLayer.load`, so the order the layers depend
on is written down in one place (docs/architecture.md shows the same table).
The parts that load a file (the proxy layer, the display, the memory report)
get the session's `LuaLayer` instead of reaching into the session.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class LuaFile:
    """One file of ilupa/lua: who loads it and why it sits where it does."""

    name: str
    loaded_by: str
    why_here: str


LOAD_ORDER: tuple[LuaFile, ...] = (
    LuaFile(
        "builtin_errors",
        "lua_layer.py, before any other file",
        "before every wrapper of a builtin: their errors rebuilt as the builtin's",
    ),
    LuaFile(
        "python_references",
        "proxy/lifetimes.py",
        "before anything holds Python objects: lupa's reference table made strong",
    ),
    LuaFile(
        "c_stack_guard",
        "session, sandbox/state.py",
        "first, so every later layer captures the guarded functions",
    ),
    LuaFile(
        "standard_files",
        "streams/__init__.py",
        "where io.stdout/stderr/stdin keep their FILE*, before any user code",
    ),
    LuaFile(
        "output",
        "streams/__init__.py (no fopencookie)",
        "print and io writes routed to Python's streams, where C files cannot be",
    ),
    LuaFile("exit_refusal", "session", "os.exit refused"),
    LuaFile("stdin", "streams/__init__.py (no fopencookie)", "io.read asks the frontend"),
    LuaFile("runner", "session", "runs chunks and calls functions in protected calls"),
    LuaFile("new_globals", "memory/guard.py", "which globals a cell added (memory report)"),
    LuaFile("interrupt", "interrupt.py", "hooks, coroutine registration, pcall passing interrupts"),
    LuaFile(
        "user_hooks",
        "session",
        "debug.sethook/gethook: a user's hook sees no ilupa frame, the interrupt's goes on",
    ),
    LuaFile("checked_loading", "session (LuaJIT)", "loop checks in code loaded at run time"),
    LuaFile(
        "native_modules",
        "lua_libraries/__init__.py",
        "require's C searchers bind C modules to this runtime (after checked_loading's Lua one)",
    ),
    LuaFile("loop_sampling", "memory/loop_sampling.py (LuaJIT 2.0)", "memory checks from loops"),
    LuaFile("namespace", "session", "the py table"),
    LuaFile("proxy_manners", "proxy/layer.py", "metamethods of Python objects"),
    LuaFile(
        "ffi_references",
        "proxy/c_api.py (LuaJIT)",
        "C-API reads, after the manners it falls back to",
    ),
    LuaFile("array_views", "proxy/layer.py", "numpy views"),
    LuaFile("array_conversions", "proxy/layer.py", "fast conversions between arrays and tables"),
    LuaFile("fb_python", "proxy/layer.py", "require 'fb.python'"),
    LuaFile("display", "display/lua_display.py", "display, widgets"),
)

ON_DEMAND: tuple[LuaFile, ...] = (
    LuaFile("largest_tables", "memory/report.py", "the memory report, when asked"),
    LuaFile("retired_state", "retired_state.py", "%lua_reset, on the state it replaces"),
    LuaFile(
        "profiler",
        "profiler/sampling.py",
        "%%lua --profile: after user_hooks (its debug.sethook), when first asked",
    ),
)

KNOWN = frozenset(file.name for file in LOAD_ORDER + ON_DEMAND)


@cache
def lua_source(name: str) -> str:
    """The text of ilupa/lua/<name>.lua (one of `KNOWN`)."""
    if name not in KNOWN:
        raise KeyError(f"{name}.lua is not part of ilupa's Lua layer (ilupa/lua_layer.py)")
    return resources.files("ilupa.lua").joinpath(f"{name}.lua").read_text(encoding="utf-8")


def load_lua_file(lua: Any, name: str, given: Any = None, /, **inputs: Any) -> Any:
    """Run ilupa/lua/<name>.lua once in `lua`; return the table of named results it returns.

    The file gets one table of named inputs (``local given = ...``): `given`, a
    Lua table built by the caller, or else the keyword `inputs`. Each file takes
    the fields into locals once, so no hot path reads the table again. The chunk
    is named ``=ilupa:<name>`` so its errors and tracebacks say which layer
    file they come from.
    """
    if name != "builtin_errors" and lua.eval('debug.getregistry()["ilupa.builtin_errors"]') is None:
        # Every wrapper of a builtin takes its error helpers from the registry.
        load_lua_file(lua, "builtin_errors")
    if given is None:
        given = lua.table_from(inputs)
    return lua.execute(lua_source(name), given, name=f"=ilupa:{name}")


class LuaLayer:
    """Loads ilupa's Lua files into one Lua state."""

    def __init__(self, lua: Any) -> None:
        self._lua = lua

    def load(self, name: str, given: Any = None, /, **inputs: Any) -> Any:
        """Run ilupa/lua/<name>.lua in this state with named inputs; return its named results."""
        return load_lua_file(self._lua, name, given, **inputs)
