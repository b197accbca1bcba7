"""ilupa's Lua layer: which Lua files a session loads, in which order, and why.

Each part declares the Lua files it loads, beside its Python: a module-level
`LUA_FILES` tuple of `LuaFile` in the part's package (`ilupa/proxy/__init__.py`,
`ilupa/interrupt/__init__.py`, ...), each file with its place in the order. The
core's own files (beside this module) are declared here. This module collects
the declarations (`LOAD_ORDER`, `ON_DEMAND`), checks that no file is declared
twice and that the places make one order, and `LuaLayer.load` is the one way a
file is run (docs/architecture.md shows the same table). The parts that load a
file (the proxy layer, the display, the memory report) get the session's
`LuaLayer` instead of reaching into the session.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class LuaFile:
    """One Lua file of ilupa: the package it sits in, its place, who loads it and why there.

    `place` is the file's position in the load order (None: loaded on demand);
    `file` is its name in `package` when that is not ``<name>.lua``.
    """

    name: str
    package: str
    place: int | None
    loaded_by: str
    why_here: str
    file: str = ""

    @property
    def file_name(self) -> str:
        return self.file or f"{self.name}.lua"


# The packages whose `LUA_FILES` make the layer, besides the core's below.
PARTS: tuple[str, ...] = (
    "ilupa.proxy",
    "ilupa.streams",
    "ilupa.memory",
    "ilupa.interrupt",
    "ilupa.source",
    "ilupa.lua_libraries",
    "ilupa.display",
    "ilupa.profiler",
    "ilupa.frames",
    "ilupa.debugger",
)

# The core's files: ilupa/<name>.lua.
LUA_FILES: tuple[LuaFile, ...] = (
    LuaFile(
        "builtin_errors",
        "ilupa",
        0,
        "lua_layer.py, before any other file",
        "before every wrapper of a builtin: their errors rebuilt as the builtin's",
    ),
    LuaFile(
        "c_stack_guard",
        "ilupa",
        2,
        "session, sandbox/state.py",
        "first, so every later layer captures the guarded functions",
    ),
    LuaFile("exit_refusal", "ilupa", 5, "session", "os.exit refused"),
    LuaFile("runner", "ilupa", 7, "session", "runs chunks and calls functions in protected calls"),
    LuaFile("namespace", "ilupa", 14, "session", "the py table"),
    LuaFile(
        "retired_state", "ilupa", None, "retired_state.py", "%lua_reset, on the state it replaces"
    ),
)


@cache
def _declared() -> tuple[tuple[LuaFile, ...], tuple[LuaFile, ...]]:
    """(LOAD_ORDER, ON_DEMAND), collected from the parts and checked.

    The parts are imported here, when the first file is loaded, not when this
    module is: every part imports this module for its `LuaLayer`.
    """
    files = list(LUA_FILES)
    for part in PARTS:
        files.extend(importlib.import_module(part).LUA_FILES)
    names = [file.name for file in files]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise RuntimeError(f"Lua files declared twice: {', '.join(twice)}")
    ordered = sorted((file for file in files if file.place is not None), key=lambda f: f.place)
    places = [file.place for file in ordered]
    if places != list(range(len(ordered))):
        raise RuntimeError(f"the Lua layer's places are not one order 0..n-1: {places}")
    return tuple(ordered), tuple(file for file in files if file.place is None)


@cache
def _by_name() -> dict[str, LuaFile]:
    load_order, on_demand = _declared()
    return {file.name: file for file in load_order + on_demand}


def __getattr__(name: str) -> Any:
    # LOAD_ORDER, ON_DEMAND and KNOWN are collected from the parts on first use.
    if name == "LOAD_ORDER":
        return _declared()[0]
    if name == "ON_DEMAND":
        return _declared()[1]
    if name == "KNOWN":
        return frozenset(_by_name())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@cache
def lua_text(name: str) -> str:
    """The text of the declared Lua file `name`, read from the package that declares it."""
    file = _by_name().get(name)
    if file is None:
        raise KeyError(f"{name}.lua is not part of ilupa's Lua layer (ilupa/lua_layer.py)")
    return resources.files(file.package).joinpath(file.file_name).read_text(encoding="utf-8")


def load_lua_file(lua: Any, name: str, given: Any = None, /, **inputs: Any) -> Any:
    """Run the declared Lua file `name` once in `lua`; return the table of named results it returns.

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
    return lua.execute(lua_text(name), given, name=f"=ilupa:{name}")


class LuaLayer:
    """Loads ilupa's Lua files into one Lua state."""

    def __init__(self, lua: Any) -> None:
        self._lua = lua

    def load(self, name: str, given: Any = None, /, **inputs: Any) -> Any:
        """Run the declared Lua file `name` in this state with named inputs; return its results."""
        return load_lua_file(self._lua, name, given, **inputs)
