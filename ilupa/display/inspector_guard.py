"""IPython's inspector (`t?`, Shift-Tab on a Python name) on a Lua value reads none of its fields.

IPython's `Inspector.info` asks an object for `__doc__`, `__call__`,
`__init__`, its signature and more; lupa turns each attribute read of a Lua
table, function or userdata into a Lua index that runs the value's `__index`
with the GIL held, outside any cell run. A looping `__index` then hung the
kernel for good (no reply, the stop button ignored). As for the display
probes (formatters.py), the inspector answers for a Lua value by its type:
its lupa repr (`<Lua table at 0x...>`, which runs no Lua) and a note that its
fields are Lua's to read. The shell keeps its own inspector object; only its
class is swapped, so its settings stay.
"""

from __future__ import annotations

from typing import Any

from IPython.core.oinspect import Inspector

from ilupa.display.formatters import is_lua_value

LUA_VALUE_NOTE = (
    "A Lua value, held by reference. IPython reads none of its fields here: its "
    "metamethods (`__index`, `__tostring`) are Lua code. Read its fields in Lua "
    "(`%lua t.x`)."
)
SHOWN_FIELDS = ("name", "found", "ismagic", "isalias", "namespace")


class _LuaValueStandIn:
    """What IPython inspects in place of a Lua value: nothing of Lua's."""


class LuaAwareInspector(Inspector):
    """IPython's inspector, which answers for a Lua value without reading its attributes."""

    def info(self, obj: Any, oname: str = "", info: Any = None, detail_level: int = 0) -> Any:
        if not is_lua_value(obj):
            return super().info(obj, oname, info, detail_level)
        found = super().info(_LuaValueStandIn(), oname, None, detail_level)
        for key in found:
            if key not in SHOWN_FIELDS:
                found[key] = None
        found.update(type_name=type(obj).__name__, string_form=repr(obj), docstring=LUA_VALUE_NOTE)
        return found


def guard_inspector(shell: Any) -> None:
    """Make the shell's inspector a `LuaAwareInspector` (the same object)."""
    if type(shell.inspector) is Inspector:
        shell.inspector.__class__ = LuaAwareInspector


def unguard_inspector(shell: Any) -> None:
    """Undo `guard_inspector`."""
    if type(shell.inspector) is LuaAwareInspector:
        shell.inspector.__class__ = Inspector
