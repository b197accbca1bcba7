"""How the display reads Lua values that may run user code: through the cell run.

lupa's own reads (`str(table)`, `table[key]`) run a table's `__tostring` or
`__index` with the GIL held, so no other Python thread (the SIGINT watcher)
runs until they return: a `__tostring` that loops would hang the kernel for
good. The display reads such values through Lua functions that ilupa calls
as cell runs (ilupa/cell_run.py), with the GIL released, stoppable and under
the memory budget. Raw reads (`items()`, `len()`) run no user code and stay
lupa's. Outside a display of a live state's value (a table of an earlier
state), `DirectReader` reads as lupa does.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from ilupa.cell_run import DISPLAY, CellRun

READERS = """
local tostring, getmetatable, rawget, type = tostring, getmetatable, rawget, type
local function own_text(value)
  local mt = getmetatable(value)
  if type(mt) == "table" and rawget(mt, "__tostring") ~= nil then
    return tostring(value)
  end
  return nil
end
local function item(t, k)
  return t[k]
end
return own_text, item
"""


class DirectReader:
    """Reads as lupa does (for values of no live state)."""

    def own_text(self, value: Any) -> str | None:
        text = str(value)
        return None if text.startswith("<Lua table at ") else text

    def item(self, table: Any, key: Any) -> Any:
        return table[key]


class RunReader:
    """Reads through Lua functions called as cell runs of the value's state."""

    def __init__(self, lua: Any, run: CellRun) -> None:
        self._own_text, self._item = lua.execute(READERS, name="=ilupa:display_reading")
        self._run = run

    def displaying(self) -> Any:
        """The cell run a whole display runs in; the reads inside nest in it."""
        return self._run.entered(DISPLAY)

    def own_text(self, value: Any) -> str | None:
        """A value's `__tostring` text, or None when it has none of its own."""
        text = self._run.call_function(self._own_text, (value,))
        return None if text is None else str(text)

    def item(self, table: Any, key: Any) -> Any:
        """`table[key]` as Lua reads it (`__index` included)."""
        return self._run.call_function(self._item, (table, key))


class RawReader:
    """Reads raw, running no metamethod: the debugger shows a stopped program's values so.

    `raw_get` is Lua's `rawget` as the stopped thread hands it (ilupa/debugger).
    """

    def __init__(self, raw_get: Any) -> None:
        self._raw_get = raw_get

    def own_text(self, value: Any) -> str | None:
        """None: a `__tostring` is user code, and the debugger runs none."""
        return None

    def item(self, table: Any, key: Any) -> Any:
        """`rawget(table, key)`."""
        return self._raw_get(table, key)


Reader = DirectReader | RunReader | RawReader
_reader: ContextVar[Reader] = ContextVar("ilupa_display_reader")


def reader() -> Reader:
    """The reader of the display running now."""
    return _reader.get(DirectReader())


@contextmanager
def reading_with(chosen: Reader) -> Iterator[None]:
    """Make `chosen` the reader for the block."""
    token = _reader.set(chosen)
    try:
        yield
    finally:
        _reader.reset(token)
