"""C `FILE*` streams whose bytes go to Python: Lua's own print and io library, captured below.

Lua's `print`, `io.write` and `io.read` are C functions that write to and read
from C `FILE*` streams (`stdout`, `io.stdout`'s, `io.stdin`'s). Replacing them
with Lua functions would change what Lua means (`print` would be a Lua
function: `string.dump(print)` works, hooks see it, `io.type(io.stdout)` is
nil). So ilupa keeps Lua's own functions and objects and changes only where
the bytes go: each stream here is a real `FILE*` made by the C library's
`fopencookie`, unbuffered, whose write and read functions are Python
callbacks (ctypes) that write to `sys.stdout`/`sys.stderr` and read a line
from the frontend. The callbacks take the GIL themselves (Lua runs with it
released). Only glibc and musl have `fopencookie`; elsewhere `available()` is
False and the session uses the Lua-level streams instead.
"""

from __future__ import annotations

import contextlib
import ctypes
import weakref
from collections.abc import Callable
from functools import cache
from typing import Any

_SSIZE = ctypes.c_ssize_t
_READ = ctypes.CFUNCTYPE(_SSIZE, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t)
_WRITE = ctypes.CFUNCTYPE(_SSIZE, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t)
_IONBF = 2  # glibc and musl
# Every FILE made here, for the life of the process: a Lua state can outlive its
# session (a Lua function a widget still holds), and its io library keeps
# writing to the FILE, which must never point at a freed callback. Each holds
# only a weak reference to what it writes for.
_KEPT: list[object] = []


class _CookieFunctions(ctypes.Structure):
    _fields_ = [
        ("read", ctypes.c_void_p),
        ("write", ctypes.c_void_p),
        ("seek", ctypes.c_void_p),
        ("close", ctypes.c_void_p),
    ]


@cache
def _libc() -> Any:
    return ctypes.CDLL(None)


@cache
def available() -> bool:
    """True where the C library can make a `FILE*` of Python callbacks (fopencookie)."""
    libc = _libc()
    if not hasattr(libc, "fopencookie"):
        return False
    libc.fopencookie.restype = ctypes.c_void_p
    libc.fopencookie.argtypes = [ctypes.c_void_p, ctypes.c_char_p, _CookieFunctions]
    libc.setvbuf.restype = ctypes.c_int
    libc.setvbuf.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_size_t]
    libc.fflush.argtypes = [ctypes.c_void_p]
    return True


def c_standard_stream(name: str) -> ctypes.c_void_p:
    """The C library's `stdout` or `stderr` variable itself (what Lua's print writes to)."""
    return ctypes.c_void_p.in_dll(_libc(), name)


def flush(file: int) -> None:
    _libc().fflush(file)


def as_text(data: bytes) -> str:
    """Bytes Lua wrote, as text for Python: bytes that are not UTF-8 become Lua escapes."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return "".join(chr(b) if b < 128 else f"\\{b}" for b in data)


class WritingFile:
    """An unbuffered `FILE*` whose writes call `write(text)` (held weakly: no cycle keeps it)."""

    def __init__(self, owner: object, write: Callable[[object, str], None]) -> None:
        owner_ref = weakref.ref(owner)

        def on_write(_cookie: int, buffer: int, size: int) -> int:
            target = owner_ref()
            if target is not None:
                # A C caller cannot take a Python error; an interrupt meanwhile ends
                # the run through its own flag.
                with contextlib.suppress(BaseException):
                    write(target, as_text(ctypes.string_at(buffer, size)))
            return size

        self._callback = _WRITE(on_write)  # kept alive as long as the FILE may be used
        functions = _CookieFunctions(None, ctypes.cast(self._callback, ctypes.c_void_p), None, None)
        self.file: int = _libc().fopencookie(None, b"w", functions)
        _libc().setvbuf(self.file, None, _IONBF, 0)
        _KEPT.append(self)


class ReadingFile:
    """A `FILE*` whose reads ask `read_line()` for one line; None or "" is the end of input.

    Each refill asks once, so a line read (`io.read()`, `io.lines()`) asks for one
    answer, and reading to the end (`io.read("a")`) collects answers until an
    empty one: a notebook has no Ctrl-D, and an empty answer is how a user ends
    input there.
    """

    def __init__(self, read_line: Callable[[], str | None]) -> None:
        pending = bytearray()  # read_line is a plain function (ilupa/streams/stdin.py): no cycle

        def on_read(_cookie: int, buffer: int, size: int) -> int:
            if not pending:
                try:
                    line = read_line()
                except BaseException:  # an interrupt ends the run through its own flag
                    return -1
                if not line:
                    return 0
                pending.extend(line.encode("utf-8", "surrogateescape") + b"\n")
            count = min(size, len(pending))
            ctypes.memmove(buffer, bytes(pending[:count]), count)
            del pending[:count]
            return count

        self._callback = _READ(on_read)
        functions = _CookieFunctions(ctypes.cast(self._callback, ctypes.c_void_p), None, None, None)
        self.file: int = _libc().fopencookie(None, b"r", functions)
        _KEPT.append(self)
