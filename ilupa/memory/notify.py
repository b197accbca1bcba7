"""Showing memory warnings: rich output in a notebook, one plain line block in a terminal.

In a kernel the warning is a `display_data` message (HTML with a text/plain
fallback), a separate output that cannot split a line the cell is printing;
pending cell output is flushed first so the order on screen is the order of
events. In a terminal it goes to stderr, newline-terminated.
"""

from __future__ import annotations

import sys
from contextlib import suppress
from dataclasses import dataclass
from html import escape
from typing import Any

LEVEL_COLOURS = {"warning": "#8a6d00", "error": "#a40000", "info": "#2f5f8a"}
LEVEL_BACKGROUNDS = {"warning": "#fff8e1", "error": "#fdecea", "info": "#eef4fa"}


@dataclass(frozen=True)
class Notice:
    """One message about Lua memory, with an optional HTML body for notebooks."""

    level: str
    text: str
    html_detail: str = ""

    def plain(self) -> str:
        return f"ilupa memory {self.level}: {self.text}"

    def html(self) -> str:
        head, _, rest = self.text.partition("\n")
        body = f"<b>Lua memory {self.level}:</b> {escape(head)}"
        if rest.strip():
            body += f"<pre style='margin:0.2em 0'>{escape(rest)}</pre>"
        return (
            f"<div class='ilupa-memory-{self.level}' style='border-left:4px solid "
            f"{LEVEL_COLOURS[self.level]};background:{LEVEL_BACKGROUNDS[self.level]};"
            f"padding:0.3em 0.6em'>{body}{self.html_detail}</div>"
        )


def in_kernel() -> bool:
    """True inside a Jupyter kernel (where rich output reaches a front end)."""
    shell = _shell()
    return shell is not None and getattr(shell, "kernel", None) is not None


def show_notice(notice: Notice) -> None:
    """Show `notice` where the user is looking: the cell's output, or stderr."""
    for stream in (sys.stdout, sys.stderr):
        with suppress(OSError, ValueError):
            stream.flush()
    if in_kernel():
        from IPython.display import display

        display({"text/plain": notice.plain(), "text/html": notice.html()}, raw=True)
        return
    sys.stderr.write(notice.plain().rstrip("\n") + "\n")
    sys.stderr.flush()


def _shell() -> Any:
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()
