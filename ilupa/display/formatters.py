"""Registering a printer for Lua tables with one of IPython's display formatters.

Each lupa runtime module has its own `_LuaTable` class; registering by name
covers every runtime without importing them all.

Showing a table runs Lua (a `__tostring`, an `__index` met while reading
it), outside any cell when IPython's display hook shows a cell's value. So
each printer runs as a cell run of the Lua state (ilupa/cell_run.py): the
stop button ends a `__tostring` that loops, memory errors are handled as in
cells.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ilupa.display.reading import RunReader, reading_with
from ilupa.runtimes import RUNTIME_NAMES

LUPA_TABLE_TYPE = "_LuaTable"


def shown_as_lua_run(
    printer: Callable[..., Any], current_reader: Callable[[Any], RunReader | None]
) -> Callable[..., Any]:
    """`printer`, reading through the cell run of the state that owns the table, if live."""

    def show(table: Any, *args: Any) -> Any:
        __tracebackhide__ = True
        chosen = current_reader(table)
        if chosen is None:
            return printer(table, *args)
        with chosen.displaying(), reading_with(chosen):
            return printer(table, *args)

    show.__name__ = getattr(printer, "__name__", "show")
    return show


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
