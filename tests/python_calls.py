"""Counting the Python functions that run while a Lua chunk runs (sys.setprofile).

For tests that say a path crosses into Python in C only (lupa's own calls, the
C API): a Python function of ilupa's on the way would show up here.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import FrameType
from typing import Any


def python_calls_during(
    session: Any, code: str, counted: Callable[[FrameType], bool] = lambda frame: True
) -> int:
    """How many Python function calls `counted` accepts ran on this thread while
    `session` ran the chunk `code`."""
    calls = 0

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        nonlocal calls
        if event == "call" and counted(frame):
            calls += 1

    sys.setprofile(profile)
    try:
        session.run(code, "counted")
    finally:
        sys.setprofile(None)
    return calls
