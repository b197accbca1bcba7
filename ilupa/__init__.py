"""ilupa: Lua cells in Jupyter, sharing one Lua state with Python.

`%load_ext ilupa` registers `%%lua`, `%lua` and `%lua_reset`.
"""

from __future__ import annotations

from typing import Any

from ilupa.errors import CopyError, LuaError, LuaMemoryError, LuaRuntimeError, LuaSyntaxError
from ilupa.memory.estimate import LuaCopyRefused
from ilupa.session import LuaSession

__version__ = "0.1.0"
__all__ = [
    "CopyError",
    "LuaCopyRefused",
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
    from ilupa.display.formatters import (
        register_probe_guards,
        register_table_printer,
        shown_as_lua_run,
    )
    from ilupa.display.html import lua_table_html
    from ilupa.display.inspector_guard import guard_inspector
    from ilupa.display.text import pretty_lua_table
    from ilupa.kernel.lua_help import use_lua_inspection_in_lua_cells
    from ilupa.magics import LuaMagics
    from ilupa.magics.lua_completer import register_lua_completer

    if "LuaMagics" in shell.magics_manager.registry:
        return
    magics = LuaMagics(shell)
    shell.register_magics(magics)  # also makes it a %config target
    current_reader = magics.display_reader_owning
    register_table_printer(shell, "text/plain", shown_as_lua_run(pretty_lua_table, current_reader))
    register_lua_completer(shell, magics)
    use_lua_inspection_in_lua_cells(shell)
    register_table_printer(shell, "text/html", shown_as_lua_run(lua_table_html, current_reader))
    register_probe_guards(shell)  # after the table printers, which it must not replace
    guard_inspector(shell)


def unload_ipython_extension(shell: Any) -> None:
    """Remove what `load_ipython_extension` registered; the Lua state is dropped."""
    from ilupa.display.formatters import unregister_probe_guards, unregister_table_printer
    from ilupa.display.inspector_guard import unguard_inspector

    magics = shell.magics_manager.registry.pop("LuaMagics", None)
    if magics is None:
        return
    magics.forget_events()
    for kind, names in magics.magics.items():
        for name in names:
            shell.magics_manager.magics[kind].pop(name, None)
    shell.configurables[:] = [c for c in shell.configurables if c is not magics]
    unregister_table_printer(shell, "text/plain")
    unregister_table_printer(shell, "text/html")
    unregister_probe_guards(shell)
    unguard_inspector(shell)
