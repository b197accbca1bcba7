"""Picklable handles to Lua functions, for Dask tasks: `lua("score")`, `lua("function(x) ... end")`.

A handle holds only a name or a source text, so it pickles to a few bytes
and means the same function on every worker: the worker looks the name up in
its own Lua state (defined by a `%%lua --workers` cell) or compiles the
source once. Calling it runs the Lua function in the worker's Lua state, as a
cell runs (interrupts, the memory budget, errors naming the cell and line and
the worker); see `values.py` for how arguments and results cross.

Use it wherever Dask takes a function: `bag.map`, `bag.map_partitions`,
`dask.array.map_blocks`, `dask.dataframe.map_partitions`, `client.map`,
`client.submit`, `dask.delayed`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from ilupa.dask.plugin import worker_lua
from ilupa.dask.values import from_lua_values, to_lua_argument
from ilupa.dask.worker_lua import WorkerLua
from ilupa.errors import LuaRuntimeError
from ilupa.lua_types import lua_type_of

LUA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
NOT_A_FUNCTION = (
    "{name!r} is {what} on this worker, not a Lua function: define it in a "
    "`%%lua --workers` cell (every worker runs those, also workers that join later)"
)


@dataclass(frozen=True)
class LuaFunction:
    """A Lua function on the workers, by global name or by source; call it in a task.

    `in_place=True` is for functions that fill their first argument, an array,
    in place: the worker hands Lua a private writable copy of it (never the
    block Dask holds, which other tasks may read) and, when the function
    returns nothing, the task returns that array.
    """

    name: str | None = None
    source: str | None = None
    in_place: bool = False

    def __post_init__(self) -> None:
        if (self.name is None) == (self.source is None):
            raise ValueError("a LuaFunction takes exactly one of a global name and a source")
        if self.name is not None and not LUA_NAME.match(self.name):
            raise ValueError(f"not a Lua global name: {self.name!r}")

    @property
    def __name__(self) -> str:  # Dask names tasks after their function
        return f"lua-{self.name}" if self.name is not None else "lua-function"

    def __call__(self, *args: Any) -> Any:
        __tracebackhide__ = True
        state = worker_lua()
        if self.in_place:
            args = (_private_copy(args[0]) if args else None, *args[1:])
        with state.lock:
            function = self._resolve(state)
            session = state.session
            lua_args = tuple(to_lua_argument(session, arg) for arg in args)
            values = state.call(function, lua_args)
            if self.in_place and not values:
                return args[0]
            return from_lua_values(session, values, args[0] if args else None)

    def _resolve(self, state: WorkerLua) -> Any:
        if self.source is not None:
            return state.compiled(self.source, self._chunk_name())
        function = state.global_function(self.name)
        kind = lua_type_of(function)
        if kind != "function" and not callable(function):
            what = "nil (undefined)" if function is None else f"a {kind or type(function).__name__}"
            raise state.named_error(
                LuaRuntimeError(NOT_A_FUNCTION.format(name=self.name, what=what))
            )
        return function

    def _chunk_name(self) -> str:
        first_line = self.source.strip().splitlines()[0] if self.source.strip() else ""
        return f"lua({first_line[:40]})"


def lua(name_or_source: str, *, in_place: bool = False) -> LuaFunction:
    """A handle to a Lua function: a global name (`"score"`, `"text.words"`) or its source.

    Source is a Lua expression whose value is a function,
    e.g. `"function(x) return 2 * x end"`.
    """
    text = name_or_source.strip()
    if LUA_NAME.match(text):
        return LuaFunction(name=text, in_place=in_place)
    return LuaFunction(source=text, in_place=in_place)


def _private_copy(value: Any) -> np.ndarray:
    if not isinstance(value, np.ndarray):
        raise TypeError(
            f"in_place=True needs a numpy array as the first argument, got {type(value).__name__}"
        )
    return np.array(value, copy=True, order="C")
