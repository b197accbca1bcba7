"""Standard input for Lua: one line per call of Python's `input()`.

`input` is looked up at each call, because ipykernel swaps in its own (which
sends an input_request to the frontend) only while a cell runs.
"""

from __future__ import annotations

import builtins

from IPython.core.error import StdinNotImplementedError


def read_line() -> str | None:
    """One line of input, or None at the end of input (Lua's nil).

    A frontend that takes no input (nbclient, papermill, `allow_stdin` off)
    is an empty standard input, as `lua script.lua < /dev/null` has: reads
    return nil instead of failing the cell.
    """
    try:
        return builtins.input()
    except (EOFError, StdinNotImplementedError):
        return None
