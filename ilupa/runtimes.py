"""Which Lua runtimes lupa offers here, and how ilupa picks one.

The default is LuaJIT 2.1: it is the fastest runtime lupa ships, its FFI gives
zero-copy array views, it has no 1 GiB heap ceiling (GC64), and it is what
Torch-era code was written for. Where lupa has no LuaJIT 2.1 build for the
platform, ilupa falls back to Lua 5.4, the most widely used PUC Lua.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

from ilupa.pickling import refuse_pickling

RUNTIME_NAMES: tuple[str, ...] = (
    "lua51",
    "lua52",
    "lua53",
    "lua54",
    "lua55",
    "luajit20",
    "luajit21",
)
PREFERRED_RUNTIMES: tuple[str, ...] = ("luajit21", "lua54", "lua55", "lua53")
RUNTIME_ENV_VAR = "ILUPA_RUNTIME"


class RuntimeUnavailable(ValueError):
    """The requested runtime is not a lupa runtime name, or lupa has no build of it here."""


def load_runtime_module(name: str) -> ModuleType:
    """Import lupa's submodule for `name`, with an error that lists the choices.

    Every Lua state ilupa makes comes from a module loaded here, so this is
    where the module's Lua objects learn to refuse pickling clearly
    (ilupa/pickling.py), before any of them reaches Python.
    """
    if name not in RUNTIME_NAMES:
        raise RuntimeUnavailable(
            f"unknown Lua runtime {name!r}; choose one of {', '.join(available_runtimes())}"
        )
    try:
        module = importlib.import_module(f"lupa.{name}")
    except ImportError as error:
        raise RuntimeUnavailable(
            f"lupa has no {name} runtime on this platform ({error}); "
            f"available: {', '.join(available_runtimes())}"
        ) from None
    refuse_pickling(module)
    return module


def available_runtimes() -> list[str]:
    """The runtime names whose lupa submodule imports on this machine."""
    found = []
    for name in RUNTIME_NAMES:
        try:
            importlib.import_module(f"lupa.{name}")
        except ImportError:
            continue
        found.append(name)
    return found


def default_runtime() -> str:
    """`ILUPA_RUNTIME` if set, else the first preferred runtime lupa has here."""
    requested = os.environ.get(RUNTIME_ENV_VAR, "").strip()
    if requested:
        return requested
    available = available_runtimes()
    for name in PREFERRED_RUNTIMES:
        if name in available:
            return name
    if not available:
        raise RuntimeUnavailable("lupa provides no Lua runtime on this platform")
    return available[0]
