"""Memory notices wait while Lua's output has an unfinished line, so none splits it.

A cell that writes `io.write("loading: ")`, fills a table, then writes
`io.write("done\\n")` should show `loading: done` whole, even when the table
crosses the warning share in between: the warning is held until the line
ends. A line left open longer than PATIENCE_SECONDS (a progress line of dots)
lets the warning through, on a line of its own in a terminal; so does the end
of the cell, whether it finished or failed. Outside a Lua cell nothing waits.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable

from ilupa.memory.notify import Notice, in_kernel

PATIENCE_SECONDS = 1.0


class OpenLine:
    """Tracks whether Lua's last output ended its line; holds notices while it did not."""

    def __init__(self, show: Callable[[Notice], None], patience: float = PATIENCE_SECONDS) -> None:
        self._show = show
        self._patience = patience
        self._lock = threading.RLock()  # Lua's thread writes, the watch thread announces
        self._cells = 0  # Lua cells running (a Lua cell can run Python that runs one)
        self._opened_at: float | None = None
        self._held: list[Notice] = []

    def writer(self, stream_name: str) -> Callable[[str], None]:
        """Lua's writer to `sys.<stream_name>` (looked up per write: kernels swap it)."""

        def write(text: str) -> None:
            # The lock is taken only when the line opens or ends: a line is
            # marked open before the text that opens it is written, and ends
            # after the text that ends it, so a notice never lands inside it.
            ends = text.endswith("\n")
            if text and not ends and self._opened_at is None:
                with self._lock:
                    self._opened_at = time.monotonic()
            getattr(sys, stream_name).write(text)
            if ends and (self._opened_at is not None or self._held):
                with self._lock:
                    self._opened_at = None
                    self._release()

        return write

    def announce(self, notice: Notice) -> None:
        """Show `notice` now, or once the open line ends (or has waited long enough)."""
        with self._lock:
            if not self._cells or self._opened_at is None:
                self._show(notice)
                return
            self._held.append(notice)
        self.check_patience()

    def check_patience(self) -> None:
        """Called on each memory sample: a line open too long lets held notices through."""
        if not self._held:
            return
        with self._lock:
            if self._waited_long():
                self._break_line()
                self._release()

    def cell_started(self) -> None:
        with self._lock:
            if not self._cells:
                self._opened_at = None
            self._cells += 1

    def cell_ended(self) -> None:
        """At the end of the outermost cell, whatever is held is shown, after its last output."""
        with self._lock:
            self._cells = max(0, self._cells - 1)
            if self._cells:
                return
            if self._held:
                self._break_line()
                self._release()
            self._opened_at = None

    def _waited_long(self) -> bool:
        opened = self._opened_at
        return opened is not None and time.monotonic() - opened >= self._patience

    def _break_line(self) -> None:
        """In a terminal, end the open line so the notice starts on its own line.

        In a notebook the notice is its own output block; the cell's text is left as written.
        """
        if self._opened_at is not None and not in_kernel():
            sys.stdout.write("\n")
        self._opened_at = None

    def _release(self) -> None:
        held, self._held = self._held, []
        for notice in held:
            self._show(notice)
