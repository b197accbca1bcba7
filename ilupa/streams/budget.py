"""How much one run may print: past the budget, output is dropped and one note says so.

Lua can print far faster than a notebook can take it: forty prints of an 8 MiB
string captured 320 MiB in the process, and took a kernel from 68 MB to 888 MB
(the frontend keeps every byte too). Values and `-o` copies have limits; this
is the limit for what a run writes to stdout and stderr together. It counts
per outermost run (a cell, a Lua function Python calls, a sandboxed cell),
writes what fits, then one note on the stream that went over, and drops the
rest; the run itself goes on (a print past the budget costs a call and a
length, not a write). `LuaMagics.output_limit` sets it (None or 0: no limit).
"""

from __future__ import annotations

from collections.abc import Callable

from ilupa.memory.budget import format_bytes

DEFAULT_OUTPUT_LIMIT = 16 << 20  # 16 MiB: about 200,000 lines; a notebook shows a fraction


class OutputBudget:
    """UTF-8 bytes the current run may still write, shared by its stdout and stderr."""

    def __init__(self, limit: int | None = DEFAULT_OUTPUT_LIMIT) -> None:
        self.limit = limit or None
        self._written = 0
        self._dropped = False

    def start_run(self) -> None:
        """A new outermost run: the whole budget again."""
        self._written = 0
        self._dropped = False

    @property
    def dropped(self) -> bool:
        """True once this run's output was cut."""
        return self._dropped

    def write(self, text: str, write: Callable[[str], None]) -> None:
        """Write `text` with `write`, or the part of it that fits, then the note once.

        The budget counts UTF-8 bytes, as the note says and as the frontend
        receives them (a Python character can take four).
        """
        limit = self.limit
        if limit is None:
            write(text)
            return
        if self._dropped:
            return
        room = limit - self._written
        size = len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))
        if size <= room:
            self._written += size
            write(text)
            return
        self._dropped = True
        self._written = limit
        fitting = text.encode("utf-8", "surrogatepass")[: max(room, 0)]
        if fitting:
            write(fitting.decode("utf-8", "ignore"))
        write(self.note())

    def write_bytes(self, data: bytes, write: Callable[[str], None]) -> None:
        """Write UTF-8 `data` (a bad byte shows as U+FFFD), decoding no more than can fit.

        Lua prints bytes: a 20 MiB print past the budget is cut before it is
        decoded, not after (the decoded copy alone took four times its size).
        """
        if self.limit is not None and not self._dropped:
            room = self.limit - self._written
            if len(data) > room:  # each byte decodes to at least one: it cannot fit
                data = data[: max(room, 0) + 4]
        self.write(data.decode("utf-8", "replace"), write)

    def note(self) -> str:
        """What the output says where it was cut."""
        return (
            f"\n[ilupa: output cut here: this run printed more than {format_bytes(self.limit or 0)}"
            " (LuaMagics.output_limit); the rest of its output is dropped, the run goes on]\n"
        )
