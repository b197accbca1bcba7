"""Live Lua objects refuse to be pickled, with an error that says what to do instead.

A Lua table, function, coroutine or userdata belongs to the Lua state that
made it: it cannot travel to another process (ipyparallel, Dask,
multiprocessing, joblib) or be deep-copied. lupa's own refusal reads "no
default __reduce__ due to non-trivial __cinit__", which names neither the
value nor the way out. `refuse_pickling` registers, with `copyreg`, a
reducer that raises a `TypeError` naming both for every Lua object type of a
lupa runtime module; `ilupa.runtimes.load_runtime_module`, the one way ilupa
imports a runtime (sessions, `%lua_reset`, the sandbox, Dask workers), calls
it, so the refusal is in place before the first Lua value reaches Python.
`pickle`, `copy.deepcopy` and multiprocessing's `ForkingPickler` all read
`copyreg.dispatch_table`.
"""

from __future__ import annotations

import copyreg
import sys
import threading
from types import ModuleType
from typing import NoReturn

from ilupa.lua_function import LuaFunction

NOT_PICKLABLE = (
    "a Lua {kind} cannot leave the Lua state that owns it, so it cannot be pickled or "
    "deep-copied (sent to or from a Dask worker, an ipyparallel engine, a multiprocessing "
    "or joblib process). Return Python data instead: ilupa.topython(t) in Lua copies a "
    "table; ilupa.dask handles copy returned tables for you. A Lua function travels by "
    "name or source: ilupa.dask.lua('name')."
)
FUNCTION = "function or coroutine"
# What each of lupa's classes is called in the message (by class name: lupa exports none).
KINDS = {
    "_LuaTable": "table",
    "_LuaFunction": FUNCTION,
    "_LuaCoroutineFunction": FUNCTION,
    "_LuaThread": FUNCTION,
    "_LuaIter": "table iterator",
    "_LuaObject": "userdata",
}
# lupa does not export its classes by name: they are taken from values of a scratch state.
LUA_OBJECT_SAMPLES = "return {}, function() end, coroutine.create(function() end), io.stdout"

_registered: set[str] = set()
_lock = threading.Lock()


def not_picklable(kind: str) -> TypeError:
    """The error for a live Lua value of `kind` ("table", "function or coroutine", ...)."""
    return TypeError(NOT_PICKLABLE.format(kind=kind))


def _reduce_lua_object(value: object) -> NoReturn:
    raise not_picklable(KINDS.get(type(value).__name__, FUNCTION))


def refuse_pickling(module: ModuleType) -> None:
    """Make pickling or deep-copying any Lua object of lupa runtime `module` raise a clear error.

    Once per module. Lua functions handed to Python arrive wrapped
    (`ilupa.lua_function.LuaFunction`), so the wrapper is refused the same way.
    """
    with _lock:
        if module.__name__ in _registered:
            return
        copyreg.pickle(LuaFunction, _reduce_lua_object)
        for cls in _lua_object_types(module):
            copyreg.pickle(cls, _reduce_lua_object)
        _registered.add(module.__name__)


def refuse_pickling_lua_objects() -> None:
    """`refuse_pickling` for every lupa runtime module imported so far (any way)."""
    for name, module in list(sys.modules.items()):
        if name.startswith("lupa.") and hasattr(module, "LuaRuntime"):
            refuse_pickling(module)


def _lua_object_types(module: ModuleType) -> set[type]:
    """Every class of `module` that a Lua value reaches Python as (and their bases)."""
    lua = module.LuaRuntime()
    table, function, coroutine, userdata = lua.execute(LUA_OBJECT_SAMPLES)
    samples = (table, function, coroutine, userdata, function.coroutine(), iter(table))
    found: set[type] = set()
    for sample in samples:
        for cls in type(sample).__mro__:
            if cls.__module__ == module.__name__ and cls.__name__ in KINDS:
                found.add(cls)
    return found
