"""Installs the proxy layer into a Lua session and is its Python-side entry point.

One `ProxyLayer` per `LuaSession`: it gives Python objects Lua manners,
turns numpy arrays into views as they cross into Lua, offers explicit copies
in both directions and fast numeric conversions, registers `fb.python`, and
adds the `ilupa` table to Lua's globals (`ilupa.view`, `ilupa.copy`,
`ilupa.topython`, `ilupa.totable`, `ilupa.toarray`).
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from ilupa.lua_function import LuaFunction
from ilupa.lua_layer import LuaLayer
from ilupa.lua_types import lua_type_of
from ilupa.memory.copy_room import CopyRoom, copy_within_budget
from ilupa.proxy.arrays import ElementWriter, is_viewable, read_element, view_layout
from ilupa.proxy.c_api import CApiReferences
from ilupa.proxy.conversions import ArrayConversions
from ilupa.proxy.copies import ToLua, ToPython
from ilupa.proxy.fb_python import FbPython
from ilupa.proxy.lifetimes import PythonReferences
from ilupa.proxy.manners import SIMPLE_TYPES, Manners

SIMPLE = (str, int, float, bool, bytes, type(None))
PLAIN_CONTAINERS = frozenset({dict, list, tuple})


class ProxyHost(Protocol):
    """What the proxy layer gets from the session that builds it (a `LuaSession`).

    The session builds the proxy layer and hands itself over as this; the proxy
    layer never imports the session.
    """

    lua: Any
    layer: LuaLayer
    manners: Manners
    references: PythonReferences
    raw_pcall: Any
    interrupts: Any  # its `gil_step` and `check_interrupt`
    memory: Any  # its `check_copy`, and the budget a copy room checks
    namespace: Any

    def callable_for_python(self, value: Any) -> Any: ...


class ProxyLayer:
    """The proxy machinery of one Lua session."""

    def __init__(self, session: ProxyHost) -> None:
        self.session = session
        lua = session.lua
        self._references = session.references
        self.manners: Manners = session.manners  # lupa's C __index already calls its `index`
        handed = self._references.handed
        self.manners.connect(
            self.to_lua, self._table_items, handed, handed, session.callable_for_python
        )
        manners = session.layer.load(
            "proxy_manners", operations=lua.table_from(self.manners.lua_operations())
        )
        self._view_marker = manners.view_marker
        # for ilupa's other Lua objects whose pairs/ipairs count (ilupa/frames)
        self.iteration_marker = manners.iteration_marker
        direct = manners.direct  # calls Python without the argument handling of __call
        self.direct = direct
        # on LuaJIT, reads of dicts, lists and tuples through the C API (c_api.py)
        self.c_api = CApiReferences(
            lua,
            session.layer,
            direct,
            manners.set_outgoing_cdata,
            session.raw_pcall,
            self._references.handed,
            session.interrupts.gil_step,
            session.interrupts.check_interrupt,
        )
        writer = ElementWriter()
        self._table_from = lua.table_from
        views = session.layer.load(
            "array_views",
            read_python=direct(read_element),
            write_python=direct(writer),
            raw_call=manners.raw_call,
            raw_newindex=manners.raw_newindex,
            enumerate=lua.globals()["python"].enumerate,
            view_marker=self._view_marker,
        )
        writer.place = views.user_place
        self._new_view = views.new
        self.uses_ffi: bool = bool(views.uses_ffi)
        conversions_lua = session.layer.load("array_conversions")
        self.conversions = ArrayConversions(
            lua,
            conversions_lua,
            self.array_of_view,
            session.memory.check_copy,
        )
        self._copy_to_lua = ToLua(lua.table_from, self.table_from_array, conversions_lua.append)
        self._copy_to_python = ToPython(self.array_of_view, self.c_api.python_object)
        # views are tables, or userdata handles on Lua 5.1 and LuaJIT
        self._is_view = lua.eval(
            "function(marker) return function(t) local mt = getmetatable(t)"
            " return type(mt) == 'table' and rawget(mt, marker) == true end end"
        )(self._view_marker)
        self.fb_python = FbPython(self)
        self.fb_python.connect(
            session.layer.load(
                "fb_python",
                functions=self.fb_python.lua_functions(),
                namespace=lua.globals()["py"],
                direct=direct,
                outgoing=manners.outgoing,
                POBJECT=manners.POBJECT,
                box_marker=manners.box_marker,
            )
        )
        topython: Any = self.copy_to_python
        if self.c_api.live:  # LuaJIT: tables built into Python objects through the C API
            topython = self.c_api.topython_with(self.copy_to_python)
        lua.globals()["ilupa"] = lua.table_from(
            {
                "view": self.view,
                "copy": self.copy_to_lua,
                "topython": topython,
                "totable": self.table_from_array,
                "toarray": self._lua_toarray,
            }
        )

    # -- crossing into Lua -------------------------------------------------------

    def to_lua(self, value: Any) -> Any:
        """A Python value as Lua should see it: numpy scalars as numbers, arrays as views."""
        kind = type(value)
        if kind in SIMPLE_TYPES:
            return value
        if kind in PLAIN_CONTAINERS:  # the common case, first: no numpy checks
            self._references.handed()
            return value
        if isinstance(value, SIMPLE):
            return value
        if isinstance(value, np.generic):
            return value.item()
        if type(value) is LuaFunction:
            return value.lua_function  # a Lua function goes back as itself
        self._references.handed()
        if isinstance(value, np.ndarray) and is_viewable(value):
            return self._view_of(value)
        return value

    def view(self, array: Any) -> Any:
        """A Lua view of a numpy array (or of anything np.asarray accepts without a copy)."""
        array = np.asarray(array)
        if not is_viewable(array):
            raise TypeError(f"no array view for dtype {array.dtype} with {array.ndim} dimensions")
        return self._view_of(array)

    def _view_of(self, array: np.ndarray) -> Any:
        layout, dims = view_layout(array, addressed=self.uses_ffi)
        return self._new_view(array, self._table_from(layout), *dims)

    def array_of_view(self, value: Any) -> np.ndarray | None:
        """The numpy array behind a Lua array view, None for any other value."""
        if self._is_view(value):
            return value.array
        return None

    def to_python_value(self, value: Any) -> Any:
        """A Lua value as Python should get it: array views as the arrays they show,
        FFI references and fb.python's references as their objects."""
        kind = lua_type_of(value)
        if kind == "cdata":
            is_reference, obj = self.c_api.python_object(value)
            return obj if is_reference else value
        if kind not in ("table", "userdata"):
            return value
        array = self.array_of_view(value)
        if array is not None:
            return array
        is_reference, obj = self.fb_python.python_object(value)
        return obj if is_reference else value

    @property
    def references_path(self) -> str:
        """How Lua reads Python containers here: "C API via FFI" or "Python-side (why)"."""
        return self.c_api.path

    def close(self) -> None:
        """Release the references Lua's FFI boxes hold (at reset; exit does it too)."""
        self.c_api.close()

    # -- copies ------------------------------------------------------------------

    def copy_to_lua(self, value: Any, what: str = "this Python object", none: Any = None) -> Any:
        """A recursive Lua copy of Python data; shared and cyclic references are kept.

        Estimated first (refused if it cannot fit), then made in a copy room
        (memory/copy_room.py): it fits, or `LuaCopyRefused` leaves Lua unchanged.
        `none` is the Lua value None becomes (nil by default; fb.python's `py.None`).
        """
        return self.copy_many_to_lua({what: value}, none)[what]

    def copy_many_to_lua(self, values: dict[str, Any], none: Any = None) -> dict[str, Any]:
        """Copies of several values (keyed by what they are): all of them fit, or none is made."""
        sources = {what: self._copy_source(value) for what, value in values.items()}
        if all(isinstance(source, SIMPLE) for source in sources.values()):
            return sources
        memory = self.session.memory
        what = " and ".join(sources)
        single = len(sources) == 1
        source = next(iter(sources.values())) if single else list(sources.values())
        estimate = memory.check_copy(source, what).estimate.bytes

        def make(room: CopyRoom) -> dict[str, Any]:
            # JSON-like data on LuaJIT: one pass through the C API, checked once after it
            # (its None values are holes: not when None has a Lua value of its own)
            copied, table = self.c_api.copy(source) if none is None else (False, None)
            if copied:
                try:
                    room()
                except BaseException as refused:
                    del table  # so that the room's collection frees it
                    raise refused.with_traceback(None) from None
            else:
                table = self._copy_to_lua(source, room, none)
            if single:
                return {what: table}
            # One copy of them all, so that data they share stays shared between them.
            return {name: table[index] for index, name in enumerate(sources, 1)}

        return copy_within_budget(memory, make, what, estimate)

    def _copy_source(self, value: Any) -> Any:
        if lua_type_of(value) == "cdata":  # an FFI box (LuaJIT): the Python object it holds
            value = self.to_python_value(value)
        array = self.array_of_view(value) if value is not None else None
        return array if array is not None else value

    def copy_to_python(self, value: Any) -> Any:
        """A recursive Python copy of Lua data; tables with keys 1..n become lists."""
        return self._copy_to_python(value)

    # -- fast numeric conversions ---------------------------------------------

    def table_from_array(self, array: Any) -> Any:
        """A new Lua table with the numbers of a 1-d numeric array (or view)."""
        return self.conversions.table_from_array(array)

    def array_from_table(self, table: Any, dtype: str = "float64") -> np.ndarray:
        """A new numpy array with t[1..#t]; every element must be a number."""
        return self.conversions.array_from_table(table, dtype)

    def _lua_toarray(self, table: Any, dtype: str = "float64") -> Any:
        return self.to_lua(self.array_from_table(table, dtype))

    # -- helpers ---------------------------------------------------------------

    def _table_items(self, table: Any) -> list[tuple[Any, Any]]:
        if isinstance(table, dict):
            return list(table.items())
        if isinstance(table, list | tuple):
            return list(enumerate(table, 1))
        return list(table.items())


def install_proxy_layer(session: ProxyHost) -> ProxyLayer:
    """Give `session`'s Lua state the proxy layer; returns it for Python-side use."""
    return ProxyLayer(session)
