"""Standard input for Lua: one line per call of Python's `input()`.

`input` is looked up at each call, because ipykernel swaps in its own (which
sends an input_request to the frontend) only while a cell runs.
"""

from __future__ import annotations

import builtins


def read_line() -> str | None:
    """One line of input, or None at the end of input (Lua's nil)."""
    try:
        return builtins.input()
    except EOFError:
        return None
