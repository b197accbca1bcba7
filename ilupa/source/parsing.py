"""Lua's own parser, in a Lua state of its own: does code compile, and if not, why.

ilupa asks Lua's parser many questions that run nothing: is a cell complete
(consoles' continuation lines), is it an expression whose value to show, where
may LuaJIT's loop checks go. Compiling in the user's state could start a
collection step there, and with it a user's `__gc`, outside any cell run: the
GIL held, the stop button unheard, and a finalizer that loops would take the
kernel with it. This state holds none of the user's objects, so its
collector runs nothing of theirs. The grammar is the same: the state is made
by the same lupa runtime module.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any


class LuaParser:
    """Compiles and drops; the user's state is never touched."""

    def __init__(self, module: ModuleType) -> None:
        self._module = module
        self._lua: Any = None  # made at the first question

    def error_of(self, code: str) -> str | None:
        """Lua's syntax error message for `code` (as lupa gives it), None when it compiles."""
        if self._lua is None:
            self._lua = self._module.LuaRuntime()
        try:
            self._lua.compile(code)
        except self._module.LuaSyntaxError as error:
            return str(error)
        return None

    def compiles(self, code: str) -> bool:
        """True when `code` is a valid Lua chunk."""
        return self.error_of(code) is None
