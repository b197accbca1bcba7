"""Telling Lua values apart from Python ones across every lupa runtime module.

A `LuaFunction` (a Lua function handed to Python by ilupa) is a "function".
`lupa.lua_type` only knows the objects of the runtime plain `import lupa`
picks; each runtime submodule has its own classes and its own `lua_type`.
"""

from __future__ import annotations

import sys
from typing import Any

from ilupa.lua_function import LuaFunction


def lua_type_of(value: Any) -> str | None:
    """Lua's type name for a lupa object of any runtime, None for Python objects."""
    kind = type(value)
    if kind is LuaFunction:
        return "function"
    module_name = kind.__module__
    if not module_name.startswith("lupa."):
        return None
    return sys.modules[module_name].lua_type(value)
