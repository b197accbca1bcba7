"""Lua's standard streams in a cell: Lua's own print and io library, writing to Python's streams.

`StandardStreams` points the `FILE*` inside `io.stdout`, `io.stderr` and
`io.stdin` of a new state at C files whose bytes go to `sys.stdout`,
`sys.stderr` and the frontend (`c_files.py`), and, while a run is on
(`routed`, entered by the cell run), points the C library's `stdout` and
`stderr` there too, which is where Lua's `print` and `warn` write. Every
function and object stays Lua's own: `print` is the C function, `io.stdout`
a real file (`io.type` says "file", it cannot be closed), `io.lines(nil, "L")`
keeps its newlines. Where the C library cannot make such files, the
Lua-level replacements (`ilupa/streams/output.lua`, `stdin.lua`) are loaded instead.

Either way every write passes the run's `OutputBudget` (`budget.py`): each
outermost run (`routed`) may write `output_limit` characters, then one note,
then nothing.
"""

from __future__ import annotations

import contextlib
import ctypes
from collections.abc import Callable, Iterator
from typing import Any

from ilupa.lua_layer import LuaFile, LuaLayer
from ilupa.streams import c_files
from ilupa.streams.budget import DEFAULT_OUTPUT_LIMIT, OutputBudget

LUA_FILES: tuple[LuaFile, ...] = (
    LuaFile(
        "standard_files",
        __name__,
        3,
        "streams/__init__.py",
        "where io.stdout/stderr/stdin keep their FILE*, before any user code",
    ),
    LuaFile(
        "output",
        __name__,
        4,
        "streams/__init__.py (no fopencookie)",
        "print and io writes routed to Python's streams, where C files cannot be",
    ),
    LuaFile(
        "stdin", __name__, 6, "streams/__init__.py (no fopencookie)", "io.read asks the frontend"
    ),
)


class StandardStreams:
    """The standard streams of one Lua state, and the C stdout/stderr switch for its runs."""

    def __init__(
        self,
        layer: LuaLayer,
        write_stdout: Callable[[str], None],
        write_stderr: Callable[[str], None],
        read_line: Callable[[], str | None],
        output_limit: int | None = DEFAULT_OUTPUT_LIMIT,
    ) -> None:
        self.write_stdout = write_stdout
        self.write_stderr = write_stderr
        self.budget = OutputBudget(output_limit)
        self.in_c = c_files.available()
        if not self.in_c:
            budget = self.budget  # closures, not bound methods: Lua holds them, no cycle

            def to_stdout(text: str) -> None:
                budget.write(text, write_stdout)

            def to_stderr(text: str) -> None:
                budget.write(text, write_stderr)

            self._is_standard_stream = layer.load(
                "output", write_stdout=to_stdout, write_stderr=to_stderr
            ).is_standard_stream
            layer.load("stdin", read_line=read_line)
            return
        self._stdout = c_files.WritingFile(self, StandardStreams._to_stdout)
        self._stderr = c_files.WritingFile(self, StandardStreams._to_stderr)
        self._stdin = c_files.ReadingFile(read_line)
        files = layer.load("standard_files")
        self._is_standard_stream = files.is_standard_stream
        # Read before any user code ran (nothing forged yet): the payloads' addresses,
        # whose first field is the FILE* on every version (luaL_Stream, FILE**, LuaJIT's).
        for address, file in (
            (files.stdout, self._stdout.file),
            (files.stderr, self._stderr.file),
            (files.stdin, self._stdin.file),
        ):
            ctypes.c_void_p.from_address(int(address, 16)).value = file
        self._routed = 0

    def _to_stdout(self, text: str) -> None:
        self.budget.write(text, self.write_stdout)

    def _to_stderr(self, text: str) -> None:
        self.budget.write(text, self.write_stderr)

    def is_standard_stream(self, value: Any) -> bool:
        """True for `io.stdout`/`io.stderr`, which `io.write(...)` returns: no value to show."""
        return bool(self._is_standard_stream(value))

    @contextlib.contextmanager
    def routed(self) -> Iterator[None]:
        """While Lua runs: the C library's stdout and stderr are this state's (print, warn).

        Entered once per outermost run, which starts the run's output budget.
        """
        self.budget.start_run()
        if not self.in_c:
            yield
            return
        stdout, stderr = c_files.c_standard_stream("stdout"), c_files.c_standard_stream("stderr")
        saved = stdout.value, stderr.value
        stdout.value, stderr.value = self._stdout.file, self._stderr.file
        try:
            yield
        finally:
            # what a user's setvbuf held back, then the process's own streams again
            c_files.flush(self._stdout.file)
            c_files.flush(self._stderr.file)
            stdout.value, stderr.value = saved
