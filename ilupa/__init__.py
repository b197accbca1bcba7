"""ilupa: Lua cells in Jupyter, sharing one Lua state with Python.

`%load_ext ilupa` registers `%%lua`, `%lua` and `%lua_reset`.
"""

from __future__ import annotations

from typing import Any

from ilupa.errors import LuaError, LuaMemoryError, LuaRuntimeError, LuaSyntaxError
from ilupa.runtimes import RUNTIME_NAMES
from ilupa.session import LuaSession

__version__ = "0.1.0"
__all__ = [
    "LuaError",
    "LuaMemoryError",
    "LuaRuntimeError",
    "LuaSession",
    "LuaSyntaxError",
    "load_ipython_extension",
    "unload_ipython_extension",
]


def load_ipython_extension(shell: Any) -> None:
    """Register the Lua magics (and the Lua table text form) with `shell`."""
    from ilupa.display.html import register_html_formatter
    from ilupa.display.text import register_text_formatter
    from ilupa.magics import LuaMagics
    from ilupa.magics.lua_completer import register_lua_completer

    if "LuaMagics" in shell.magics_manager.registry:
        return
    magics = LuaMagics(shell)
    shell.register_magics(magics)  # also makes it a %config target
    register_text_formatter(shell, list(RUNTIME_NAMES))
    register_lua_completer(shell, magics)
    register_html_formatter(shell, list(RUNTIME_NAMES))


def unload_ipython_extension(shell: Any) -> None:
    """Remove what `load_ipython_extension` registered; the Lua state is dropped."""
    from ilupa.display.html import unregister_html_formatter
    from ilupa.display.text import unregister_text_formatter

    magics = shell.magics_manager.registry.pop("LuaMagics", None)
    if magics is None:
        return
    for kind, names in magics.magics.items():
        for name in names:
            shell.magics_manager.magics[kind].pop(name, None)
    shell.configurables[:] = [c for c in shell.configurables if c is not magics]
    unregister_text_formatter(shell, list(RUNTIME_NAMES))
    unregister_html_formatter(shell, list(RUNTIME_NAMES))
