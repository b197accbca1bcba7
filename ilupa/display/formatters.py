"""Registering a printer for Lua tables with one of IPython's display formatters.

Each lupa runtime module has its own `_LuaTable` class; registering by name
covers every runtime without importing them all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ilupa.runtimes import RUNTIME_NAMES

LUPA_TABLE_TYPE = "_LuaTable"


def register_table_printer(shell: Any, mimetype: str, printer: Callable[..., Any]) -> None:
    """Show Lua tables of every runtime module with `printer` for `mimetype`."""
    formatter = shell.display_formatter.formatters[mimetype]
    for module in RUNTIME_NAMES:
        formatter.for_type_by_name(f"lupa.{module}", LUPA_TABLE_TYPE, printer)


def unregister_table_printer(shell: Any, mimetype: str) -> None:
    """Undo `register_table_printer`, whether or not a table was shown meanwhile."""
    formatter = shell.display_formatter.formatters[mimetype]
    for module in RUNTIME_NAMES:
        formatter.deferred_printers.pop((f"lupa.{module}", LUPA_TABLE_TYPE), None)
        for cls in list(formatter.type_printers):
            if cls.__module__ == f"lupa.{module}" and cls.__name__ == LUPA_TABLE_TYPE:
                formatter.type_printers.pop(cls)
