"""Telling Lua values apart from Python ones across every lupa runtime module.

`lupa.lua_type` only knows the objects of the runtime plain `import lupa`
picks; each runtime submodule has its own classes and its own `lua_type`.
"""

from __future__ import annotations

import sys
from typing import Any


def lua_type_of(value: Any) -> str | None:
    """Lua's type name for a lupa object of any runtime, None for Python objects."""
    module_name = type(value).__module__
    if not module_name.startswith("lupa."):
        return None
    return sys.modules[module_name].lua_type(value)
