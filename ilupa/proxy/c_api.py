"""Fast Python references on LuaJIT: the CPython C API called through LuaJIT's FFI.

ilupa/proxy/ffi_references.lua reads dicts, lists and tuples from Lua without a
round trip through lupa; this is its Python half. It owns the memory that holds
the references Lua's boxes keep (the arena: Python frees it, so a Lua state that
is reset, dropped or still alive at exit never leaves a reference behind), the
graveyard list through which dropped references are released in Python (where
an object's `__del__` may safely call back into Lua), and the layout probe that
decides whether this path can be live at all. docs/proxy.md has the reasoning.
"""

from __future__ import annotations

import ctypes
import math
import sys
import sysconfig
import types
import weakref
from collections.abc import Callable
from typing import Any

from ilupa.lua_layer import LuaLayer

GRAVEYARD_SIZE = 4096
"""References the FFI side can hand back to Python before Python frees them."""

PURE_MATH_FUNCTIONS = (
    "acos", "acosh", "asin", "asinh", "atan", "atan2", "atanh", "cbrt", "ceil", "comb",
    "copysign", "cos", "cosh", "degrees", "erf", "erfc", "exp", "exp2", "expm1", "fabs",
    "factorial", "floor", "fmod", "gamma", "gcd", "hypot", "isclose", "isfinite", "isinf",
    "isnan", "isqrt", "lcm", "ldexp", "lgamma", "log", "log10", "log1p", "log2",
    "nextafter", "perm", "pow", "radians", "remainder", "sin", "sinh", "sqrt", "tan",
    "tanh", "trunc", "ulp",
)  # fmt: skip
"""math's functions that Lua calls inside an FFI call: on the exact ints, floats and
strs Lua passes they compute in C and return a number or a bool, run no Python code
and make no object the cyclic collector tracks; frexp and modf (tuples) and the
functions taking iterables are left out."""


def pure_callables() -> tuple[Any, ...]:
    """The functions of PURE_MATH_FUNCTIONS this Python has (held: their addresses stay theirs)."""
    found = (getattr(math, name, None) for name in PURE_MATH_FUNCTIONS)
    return tuple(f for f in found if type(f) is types.BuiltinFunctionType)


LIVE = "C API via FFI"
PYTHON_SIDE = "Python-side"


class Arena(ctypes.Structure):
    """The strong references of Lua's boxes: `items[0:top]`, NULL where a slot is free."""

    _fields_ = [
        ("items", ctypes.POINTER(ctypes.c_void_p)),
        ("top", ctypes.c_int32),
        ("cap", ctypes.c_int32),
        ("closed", ctypes.c_int32),
    ]


_libc = ctypes.CDLL(None)
_libc.free.argtypes = [ctypes.c_void_p]
_decref = ctypes.pythonapi.Py_DecRef
_decref.argtypes = [ctypes.c_void_p]


def why_unavailable() -> str | None:
    """Why this interpreter's objects cannot be read through FFI, or None when they can."""
    if sys.implementation.name != "cpython":
        return f"{sys.implementation.name} is not CPython"
    if sysconfig.get_config_var("Py_GIL_DISABLED"):
        return "free-threaded CPython has another object layout"
    if hasattr(sys, "gettotalrefcount"):
        return "a debug build of CPython has another object layout"
    return None


def release_arena(arena: Arena) -> None:
    """Drop every reference the arena holds (in Python: `__del__` may call Lua)."""
    if arena.closed:
        return
    arena.closed = 1
    items, top = arena.items, arena.top
    arena.items, arena.top, arena.cap = None, 0, 0
    if not items:
        return
    for slot in range(top):
        address = items[slot]
        if address:
            items[slot] = None
            _decref(address)
    _libc.free(ctypes.cast(items, ctypes.c_void_p))


class CApiReferences:
    """The FFI reference path of one Lua state, or why it is not live."""

    def __init__(
        self,
        lua: Any,
        layer: LuaLayer,
        direct: Callable[[Any], Any],
        set_outgoing_cdata: Any,
        raw_pcall: Any,
        on_handed: Callable[[], None],
        gil_step: Any,
        check_interrupt: Any = None,
    ) -> None:
        self.live = False
        self.why_not: str | None = why_unavailable()
        self._on_handed = on_handed
        self._arena = Arena()
        self._graveyard: list[Any] = [None] * GRAVEYARD_SIZE
        self._nones: list[Any] = [None] * GRAVEYARD_SIZE
        self._release = weakref.finalize(self, release_arena, self._arena)
        if self.why_not is not None:
            return
        self._pure_callables = pure_callables()
        probe_list, probe_dict, probe_float = [1, "item"], {"a": 1}, 2.5
        given = lua.table_from(
            {
                "types": lua.table_from(
                    {
                        "dict": id(dict),
                        "list": id(list),
                        "tuple": id(tuple),
                        "str": id(str),
                        "int": id(int),
                        "float": id(float),
                        "none": id(None),
                        "true_": id(True),
                        "false_": id(False),
                    }
                ),
                "probe": lua.table_from(
                    {
                        "list": id(probe_list),
                        "list_size": len(probe_list),
                        "list_item": id(probe_list[1]),
                        "dict": id(probe_dict),
                        "dict_size": len(probe_dict),
                        "float": id(probe_float),
                        "float_value": probe_float,
                    }
                ),
                "object_at": direct(self._object_at),
                "bury": direct(self._bury),
                "arena": ctypes.addressof(self._arena),
                "graveyard": id(self._graveyard),
                "graveyard_size": GRAVEYARD_SIZE,
                "set_outgoing_cdata": set_outgoing_cdata,
                "raw_pcall": raw_pcall,
                "pure_callables": lua.table_from([id(f) for f in self._pure_callables]),
                "gil_step": gil_step,
                "check_interrupt": check_interrupt,
            }
        )
        # Four files, each taking the results of those before (ffi_c_api.lua says why).
        api = layer.load("ffi_c_api", given)
        self.live = bool(api.live)
        if not self.live:
            self.why_not = str(api.why)
            return
        boxes = layer.load("ffi_boxes", lua.table_from({"python": given, "api": api}))
        references = layer.load(
            "ffi_references", lua.table_from({"python": given, "api": api, "boxes": boxes})
        )
        module = layer.load(
            "ffi_copies",
            lua.table_from({"python": given, "api": api, "boxes": boxes, "references": references}),
        )
        self._address_of = module.address_of
        self._copy = module.copy
        # Lua's `ilupa.topython` through the C API, given the Python copy to fall back on
        self.topython_with = module.topython_with
        self._sweep = module.sweep
        self._counts = module.counts

    @property
    def path(self) -> str:
        """Which path Lua's reads of Python containers take, for `%lua --version`."""
        if self.live:
            return LIVE
        return PYTHON_SIDE if self.why_not is None else f"{PYTHON_SIDE} ({self.why_not})"

    def python_object(self, value: Any) -> tuple[bool, Any]:
        """(True, the object) when `value` is lupa's wrapper of one of Lua's boxes."""
        if not self.live:
            return False, None
        address = self._address_of(value)
        if address is None:
            return False, None
        return True, ctypes.cast(address, ctypes.py_object).value

    def copy(self, value: Any) -> tuple[bool, Any]:
        """(True, a Lua table) copied from JSON-like data (exact dicts, lists, tuples of
        str, int, float, bool, None) through the C API; (False, None) for anything else."""
        if not (self.live and type(value) in (dict, list, tuple)):
            return False, None
        copied = self._copy(id(value))  # `value` stays alive: the caller holds it
        if isinstance(copied, tuple) and copied[0]:
            return True, copied[1]
        return False, None

    def counts(self) -> tuple[int, int]:
        """(references boxes hold, references waiting in the graveyard), for tests."""
        live, graves = self._counts()
        return int(live), int(graves)

    def sweep(self) -> None:
        """Release what dropped boxes held (they must have been collected already)."""
        if self.live:
            self._sweep()

    def close(self) -> None:
        """Release every reference Lua's boxes hold; later use of a box is a Lua error."""
        self._release()
        self._graveyard[:] = self._nones

    # -- called from Lua -----------------------------------------------------

    def _object_at(self, address: int) -> tuple[Any]:
        # The box Lua passes holds a strong reference: the object is alive.
        self._on_handed()
        return (ctypes.cast(address, ctypes.py_object).value,)

    def _bury(self, count: int) -> None:
        self._graveyard[:count] = self._nones[:count]
