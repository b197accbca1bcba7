"""Errors across the cluster: Lua errors that name their worker, Lua objects that cannot travel.

A `LuaError` raised on a worker reaches the client as the same class (it
pickles with its message, cell, line and Lua traceback); `on_worker` adds a
note naming the worker, which Python and IPython show under the error.

A live Lua table or function cannot travel; ilupa's core makes pickling one
raise a `TypeError` that says what to do instead (ilupa/pickling.py), for
every runtime ilupa loads. A worker imports its runtime through ilupa too,
and `refuse_pickling_lua_objects` covers any lupa module loaded otherwise.
(Values that ilupa's handles return are already Python copies.)
"""

from __future__ import annotations

from ilupa.errors import LuaError

WORKER_NOTE = "on Dask worker {address}"


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
