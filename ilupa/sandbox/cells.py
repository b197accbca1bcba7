"""Running a `%%lua --sandbox` cell: inputs copied in, the cell, outputs copied out.

The sandbox has its own options semantics: `-i NAME` copies plain data in
(never a reference), `-o NAME` copies a global back out as plain data, and
`-c` is refused because every input is already a copy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from IPython.core.error import UsageError

from ilupa.sandbox.state import SandboxState
from ilupa.source.cells import ends_with_semicolon, with_trailing_value


def run_sandboxed_cell(
    state: SandboxState,
    code: str,
    chunk_name: str,
    *,
    inputs: Mapping[str, Any],
    outputs: list[str],
    copies: list[str],
    display_value: bool,
    bind: Callable[[dict[str, Any]], None],
) -> Any:
    """Run `code` in the sandbox; return its value the way a Python cell shows one."""
    __tracebackhide__ = True
    if copies:
        raise UsageError("-c is not needed with --sandbox: -i already copies plain data in")
    state.set_globals(inputs)
    runnable = with_trailing_value(code, state.compiles) or code
    values = state.run(runnable, chunk_name, source=code)
    bind(state.get_globals(outputs))
    if not display_value or ends_with_semicolon(code) or not values:
        return None
    return values[0] if len(values) == 1 else values
