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

from IPython.core.formatters import IPythonDisplayFormatter

from ilupa.display.reading import RunReader, reading_with
from ilupa.lua_function import LuaFunction
from ilupa.runtimes import RUNTIME_NAMES

LUPA_TABLE_TYPE = "_LuaTable"
LUPA_OBJECT_TYPE = "_LuaObject"  # the base of every lupa value type: table, function, userdata
PLAIN_TEXT = "text/plain"  # IPython's pretty printer probes no attribute of an instance


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


def no_special_method(value: Any, *args: Any) -> None:
    """The answer for a Lua value to "does it have `_repr_html_`?": no, asked of no Lua code."""
    return None


class LuaAwareIPythonDisplayFormatter(IPythonDisplayFormatter):
    """IPython's `_ipython_display_` formatter, which asks no Lua value for that method.

    This formatter cannot take a printer that declines (a registered printer
    means "the object displayed itself"), so for lupa values and `LuaFunction`s
    it answers False before `get_real_method` reads their attributes.
    """

    def __call__(self, obj: Any) -> Any:
        if is_lua_value(obj):
            return False
        return super().__call__(obj)


def is_lua_value(obj: Any) -> bool:
    """A lupa object (table, function, userdata, coroutine) or an ilupa `LuaFunction`."""
    if type(obj) is LuaFunction:
        return True
    kind = type(obj)
    return kind.__module__.startswith("lupa.") and any(
        cls.__name__ == LUPA_OBJECT_TYPE for cls in kind.__mro__
    )


def register_probe_guards(shell: Any) -> None:
    """Answer IPython's display probes for every lupa value by its type, not its fields.

    Without a printer registered for a type, each of IPython's formatters asks
    the value for its special method (`_ipython_display_`, `_repr_mimebundle_`,
    `_repr_html_`, ... each after `_ipython_canary_method_should_not_exist_`):
    about 20 attribute reads, which lupa turns into Lua index operations that
    run the value's `__index` with the GIL held, outside any cell run. An
    `__index` that loops then hung the kernel for good (no signal handler, no
    interrupt reply). A printer found by type (lupa's `_LuaObject`, the base of
    tables, functions and userdata) is used before any attribute is looked at;
    this one says "nothing in this format" without running Lua. The table
    printers registered for text/plain and text/html come first in the type
    order, and read through the cell run (`shown_as_lua_run`); text/plain's
    pretty printer reads no attribute of an instance. The `_ipython_display_`
    formatter becomes `LuaAwareIPythonDisplayFormatter` (the same object, its
    class swapped, so its registrations and settings stay).
    """
    display_formatter = shell.display_formatter
    ipython_display = display_formatter.ipython_display_formatter
    if type(ipython_display) is IPythonDisplayFormatter:
        ipython_display.__class__ = LuaAwareIPythonDisplayFormatter
    formatters = [
        display_formatter.mimebundle_formatter,
        *(f for mimetype, f in display_formatter.formatters.items() if mimetype != PLAIN_TEXT),
    ]
    for formatter in formatters:
        for module in RUNTIME_NAMES:
            formatter.for_type_by_name(f"lupa.{module}", LUPA_OBJECT_TYPE, no_special_method)
        # ilupa's callable Lua functions pass unknown attributes on to lupa's object
        formatter.for_type(LuaFunction, no_special_method)


def unregister_probe_guards(shell: Any) -> None:
    """Undo `register_probe_guards`."""
    display_formatter = shell.display_formatter
    ipython_display = display_formatter.ipython_display_formatter
    if type(ipython_display) is LuaAwareIPythonDisplayFormatter:
        ipython_display.__class__ = IPythonDisplayFormatter
    formatters = [display_formatter.mimebundle_formatter, *display_formatter.formatters.values()]
    for formatter in formatters:
        _unregister(formatter, LUPA_OBJECT_TYPE, no_special_method)
        if formatter.type_printers.get(LuaFunction) is no_special_method:
            formatter.type_printers.pop(LuaFunction)


def _unregister(formatter: Any, type_name: str, printer: Any = None) -> None:
    for module in RUNTIME_NAMES:
        key = (f"lupa.{module}", type_name)
        if printer is None or formatter.deferred_printers.get(key) is printer:
            formatter.deferred_printers.pop(key, None)
        for cls in list(formatter.type_printers):
            ours = printer is None or formatter.type_printers[cls] is printer
            if cls.__module__ == f"lupa.{module}" and cls.__name__ == type_name and ours:
                formatter.type_printers.pop(cls)


def unregister_table_printer(shell: Any, mimetype: str) -> None:
    """Undo `register_table_printer`, whether or not a table was shown meanwhile."""
    _unregister(shell.display_formatter.formatters[mimetype], LUPA_TABLE_TYPE)
