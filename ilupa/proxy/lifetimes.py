"""When Python objects that Lua dropped are given back to Python.

lupa's bookkeeping of Python objects held by Lua goes wrong when Lua's
collector finalizes a dropped reference late (ilupa/proxy/python_references.lua
says how): Lua then calls a freed or unrelated Python object. ilupa keeps that
bookkeeping strong and releases dropped references in whole collections:
after a batch of Python objects handed to Lua, and whenever Lua code calls
`collectgarbage()`. A batch is at least RELEASE_EVERY objects, and more on a
large Lua heap, whose full collection costs more: the cost per object handed
to Lua stays bounded.

Small batches also spare Python's own collector: lupa keeps a small tracked
Python object per reference, and one that lives across a few of Python's
young collections is promoted to the oldest generation, whose collections
walk all of the user's data. Released within 2,000 objects, most die young: a
loop over 200,000 JSON records in Lua took about a third less time than with
batches of 10,000 (benchmarks/bench_refs.py), while a release on a small heap
costs 20-50 us.
"""

from __future__ import annotations

from collections.abc import Callable

from ilupa.lua_layer import LuaLayer

RELEASE_EVERY = 2_000
"""The fewest Python objects handed to Lua between two releases (each a full Lua collection)."""
HEAP_BYTES_PER_OBJECT = 512
"""On a large heap, a batch is one object per this many bytes of Lua heap."""


class PythonReferences:
    """Counts Python objects handed to Lua and releases the dropped ones in batches."""

    def __init__(self, layer: LuaLayer) -> None:
        self._release: Callable[[], tuple[object, float]]
        self._reopen: Callable[[], None]
        references = layer.load("python_references")
        self._release, self._reopen = references.release, references.reopen_python
        self._handed = 0
        self._batch = RELEASE_EVERY

    def handed(self) -> None:
        """One more Python object went to Lua (a result, or an exception raised through Lua)."""
        self._handed += 1
        if self._handed >= self._batch:
            self.release()

    def release(self) -> None:
        """Free the Python objects Lua no longer reaches (one full Lua collection).

        An error raised by a Lua `__gc` meanwhile is dropped here: it belongs
        to no line of the running cell (Lua 5.4 and 5.5 only warn of them too).
        """
        self._handed = 0
        _problem, heap_kib = self._release()
        self._batch = max(RELEASE_EVERY, int(heap_kib * 1024) // HEAP_BYTES_PER_OBJECT)

    def recover(self) -> None:
        """Undo what a release stopped halfway (interrupt, out of memory) left; before each cell."""
        self._reopen()
