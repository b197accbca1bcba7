"""Lua functions handed to Python: calling one runs it the way a cell runs.

lupa gives Python its own `_LuaFunction` objects; calling one enters Lua
with none of ilupa's machinery: no interrupt, no memory budget handling (an
out-of-memory error there leaves a full heap that aborts the process at the
next call), no warnings. So every Lua function that reaches Python through
ilupa (a cell's value, `-o`, the arguments of Python code that Lua calls,
`py.NAME = f`) arrives as a `LuaFunction`: calling it goes through the
session's cell run (ilupa/cell_run.py). Semantics kept:

- Handed back to Lua (an argument, a result, `py.NAME`) it is the Lua
  function itself again, so `rawequal(py.id(f), f)` holds in Lua.
- Results are what lupa returns (None, one value, or a tuple of several),
  with array views as their arrays and Lua functions wrapped in turn, as for
  a cell's value. Errors are ilupa's `LuaError`s, as in cells.
- Two wrappers of the same Lua function are equal and hash alike (lupa's
  objects have no `==`); the wrapper keeps the function alive.
- Anything else (`.coroutine()`, say) is the lupa object's own.
- It runs on Lua's main thread, also when Python code that a coroutine
  called calls it (lupa would run it on the coroutine's thread; a yield there
  fails either way, with "attempt to yield across a C-call boundary" or
  "attempt to yield from outside a coroutine").

A Lua function read from a Lua table by Python code (`t = %lua t` then
`t.f`) is lupa's own object; `%lua t.f` gives a wrapped one.
"""

from __future__ import annotations

from typing import Any, Protocol


class CallsLua(Protocol):
    def call_function(self, function: Any, args: tuple[Any, ...]) -> Any: ...


class LuaFunction:
    """A Lua function that Python may call like any callable (callbacks, `sorted(key=f)`)."""

    __slots__ = ("__weakref__", "_run", "lua_function")

    def __init__(self, function: Any, run: CallsLua) -> None:
        self.lua_function = function  # lupa's own object
        self._run = run

    def __call__(self, *args: Any) -> Any:
        __tracebackhide__ = True  # IPython shows the caller's frame, not this one
        return self._run.call_function(self.lua_function, args)

    @property
    def _identity(self) -> str:
        return repr(self.lua_function)  # "<Lua function at 0x...>": the Lua object's address

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LuaFunction):
            return NotImplemented
        return self._identity == other._identity

    def __hash__(self) -> int:
        return hash(self._identity)

    def __repr__(self) -> str:
        return self._identity

    def __getattr__(self, name: str) -> Any:
        if name in LuaFunction.__slots__:
            raise AttributeError(name)
        return getattr(self.lua_function, name)


def unwrapped(value: Any) -> Any:
    """The Lua function behind a `LuaFunction`; any other value unchanged."""
    return value.lua_function if type(value) is LuaFunction else value
