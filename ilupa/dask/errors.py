"""Errors across the cluster: Lua errors that name their worker, Lua objects that cannot travel.

A `LuaError` raised on a worker reaches the client as the same class (it
pickles with its message, cell, line and Lua traceback); `on_worker` adds a
note naming the worker, which Python and IPython show under the error.

A live Lua table or function belongs to the Lua state that made it and
cannot be pickled. lupa's own refusal reads "no default __reduce__ due to
non-trivial __cinit__"; `refuse_pickling_lua_objects` replaces it with a
`TypeError` that says what to do instead. (Values that ilupa's handles
return are already Python copies.)
"""

from __future__ import annotations

import copyreg
import sys
from typing import NoReturn

from ilupa.errors import LuaError
from ilupa.lua_function import LuaFunction
from ilupa.runtimes import RUNTIME_NAMES

WORKER_NOTE = "on Dask worker {address}"
NOT_PICKLABLE = (
    "a Lua {kind} cannot leave the Lua state that owns it, so it cannot be pickled "
    "(sent to or from a Dask worker or an ipyparallel engine). Return Python data instead: "
    "ilupa.topython(t) in Lua copies a table; ilupa.dask handles copy returned tables "
    "for you. A Lua function travels by name or source: ilupa.dask.lua('name')."
)


def on_worker(error: LuaError, address: str) -> LuaError:
    """`error`, noted with the worker it happened on (once), ready to travel.

    Its context, lupa's own exception (suppressed in every report), is dropped:
    lupa's memory error cannot be unpickled by the traceback pickler Dask uses.
    """
    error.__context__ = None
    note = WORKER_NOTE.format(address=address)
    if note not in getattr(error, "__notes__", ()):
        error.add_note(note)
    return error


def _refuse(kind: str) -> NoReturn:
    raise TypeError(NOT_PICKLABLE.format(kind=kind))


def _reduce_lua_object(value: object) -> NoReturn:
    kind = "table" if type(value).__name__ == "_LuaTable" else "function or coroutine"
    _refuse(kind)


def refuse_pickling_lua_objects() -> None:
    """Make pickling a live Lua object of any loaded lupa runtime raise a clear TypeError.

    Lua functions handed to Python arrive wrapped (`ilupa.lua_function.LuaFunction`),
    so the wrapper is refused the same way.
    """
    copyreg.pickle(LuaFunction, _reduce_lua_object)
    for runtime in RUNTIME_NAMES:
        module = sys.modules.get(f"lupa.{runtime}")
        if module is None or module in _registered:
            continue
        # lupa does not export these classes by name: take them from values of a scratch state
        samples = module.LuaRuntime().execute(LUA_OBJECT_SAMPLES)
        for cls in {type(sample) for sample in samples}:
            copyreg.pickle(cls, _reduce_lua_object)
        _registered.add(module)


LUA_OBJECT_SAMPLES = "return {}, function() end, coroutine.create(function() end)"
_registered: set[object] = set()
