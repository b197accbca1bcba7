"""Exceptions a failed Lua cell raises, with cell-relative locations.

They subclass ``Exception`` (not lupa's per-runtime classes) so that one
``except ilupa.LuaError`` catches failures from every runtime, and they render
as a short Lua-style report in IPython instead of a Python traceback through
ilupa's internals.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from functools import partial
from types import TracebackType

LOCATION = re.compile(r"^(?P<chunk>[^\n]+?):(?P<line>\d+): (?P<message>.*)$", re.DOTALL)
LOADING_PREFIX = "error loading code: "
TRACEBACK_HEADER = "stack traceback:"
MAIN_CHUNK_FRAME = "in main chunk"
INTERNAL_FRAMES = ("[C]: in function 'xpcall'", "ilupa:", '[string "<python>"]')


@dataclass(frozen=True)
class SourceLocation:
    """A line in a chunk ilupa ran, with the text of that line when known."""

    chunk: str
    line: int
    text: str | None

    def describe(self) -> str:
        where = f"{self.chunk}, line {self.line}"
        return f"{where}:\n    {self.text.strip()}" if self.text else where


class LuaError(Exception):
    """A Lua cell failed: message, where (cell and line), and Lua's traceback."""

    kind = "LuaError"

    def __init__(
        self,
        message: str,
        location: SourceLocation | None = None,
        lua_traceback: str = "",
    ) -> None:
        self.message = message
        self.location = location
        self.lua_traceback = lua_traceback
        super().__init__(self._summary())

    def _summary(self) -> str:
        if self.location is None:
            return self.message
        text = f"{self.location.chunk}:{self.location.line}: {self.message}"
        if self.location.text:
            text += f"\n    {self.location.text.strip()}"
        return text

    def _render_traceback_(self) -> list[str]:
        """What IPython shows instead of a Python traceback through ilupa."""
        lines = [f"{self.kind}: {self.message}"]
        if self.location is not None:
            lines.append(f"  in {self.location.describe()}")
        if self.lua_traceback:
            lines.append(self.lua_traceback)
        lines.extend(getattr(self, "__notes__", ()))  # e.g. the Dask worker it failed on
        return lines


class LuaSyntaxError(LuaError):
    """The cell is not valid Lua; nothing in it ran."""

    kind = "LuaSyntaxError"


class LuaRuntimeError(LuaError):
    """The cell raised a Lua error while running; statements before it took effect."""

    kind = "LuaRuntimeError"


class CopyError(TypeError):
    """A copy across the Lua/Python edge was refused: says what and where, and nothing was copied.

    Every copy refusal is one: a value Lua cannot hold (a None key, an object
    array), a copy that would not fit the Lua memory budget
    (`LuaCopyRefused`), data that is not plain enough for the sandbox.
    """


class LuaMemoryError(LuaError, MemoryError):
    """Lua ran out of memory (its allocator or a configured budget refused)."""

    kind = "LuaMemoryError"

    def __new__(cls, *args: object, **kwargs: object) -> LuaMemoryError:
        # Unpicklers that call `cls.__new__` (tblib's, which Dask uses to send errors
        # back) would reach MemoryError's, which Python refuses for this class.
        return LuaError.__new__(cls, *args, **kwargs)


def clean_traceback(traceback: str | None) -> str:
    """Lua's traceback without the frames of ilupa's own cell runner."""
    if not traceback:
        return ""
    kept = []
    for line in traceback.strip("\n").splitlines():
        if any(marker in line for marker in INTERNAL_FRAMES):
            continue
        kept.append(line)
        if line.endswith(MAIN_CHUNK_FRAME):
            break  # what lies below the cell is ilupa's runner
    if kept and kept[0].strip() == TRACEBACK_HEADER and len(kept) == 1:
        return ""
    return "\n".join(kept)


def split_lua_message(raw: str) -> tuple[str, str]:
    """Separate a lupa error text into its message and lupa's own traceback."""
    raw = raw.removeprefix(LOADING_PREFIX)
    if raw.startswith(TRACEBACK_HEADER):  # the traceback of an error with no text (nil)
        raw = "\n" + raw
    message, _, traceback = raw.partition("\n" + TRACEBACK_HEADER)
    return message, (TRACEBACK_HEADER + traceback) if traceback else ""


def locate(message: str, sources: Mapping[str, str]) -> tuple[str, SourceLocation | None]:
    """Find `chunk:line:` at the start of a Lua message and look up that line's source."""
    match = LOCATION.match(message)
    if match is None:
        return message, None
    chunk, line = match["chunk"], int(match["line"])
    source = sources.get(chunk)
    lines = source.splitlines() if source is not None else []
    text = lines[line - 1] if 0 < line <= len(lines) else None
    return match["message"], SourceLocation(chunk, line, text)


VALUE_LOST = (
    "a Lua error whose value is not a string (a table, nil, ...): it was raised in a Lua "
    "function that Python code called, where lupa keeps only an error's text"
)
"""What an error says when lupa passed on no text for it."""


def lua_error_from(
    error_class: type[LuaError],
    raw: str,
    sources: Mapping[str, str],
    traceback: str | None = None,
) -> LuaError:
    """Build an ilupa error from lupa's text, preferring the traceback ilupa recorded."""
    message, lupa_traceback = split_lua_message(raw)
    if not message.strip():
        message = VALUE_LOST
    message, location = locate(message, sources)
    return error_class(message, location, clean_traceback(traceback or lupa_traceback))


ILUPA_FILES = os.path.dirname(os.path.abspath(__file__)) + os.sep
CONTEXTLIB_FILE = contextlib.__file__
THROUGH_LUA = "_ilupa_raised_through_lua"
"""Set on a Python exception that came back out of Lua (its traceback is the user's)."""


def _is_internal_frame(traceback: TracebackType) -> bool:
    """lupa's compiled frames, ilupa's own, and contextlib's (ilupa's `with` blocks)."""
    filename = traceback.tb_frame.f_code.co_filename
    return (
        filename.endswith(".pyx") or filename.startswith(ILUPA_FILES) or filename == CONTEXTLIB_FILE
    )


def without_binding_frames(traceback: TracebackType | None) -> TracebackType | None:
    """A Python traceback without lupa's, ilupa's and contextlib's frames.

    A Python error raised through Lua (`py.l[1.5]`) showed the frames it passed on
    its way: ilupa's cell run and `with` blocks (contextlib), lupa's bindings,
    ilupa's metamethods (`Manners.index`). They say nothing about the user's code
    (IPython hides none of them: the last frame is always shown, and contextlib's
    frames are not ilupa's to mark with `__tracebackhide__`). The user's own frames
    stay, and Lua's traceback is the error's note. Built iteratively: a recursion
    error's traceback is deep.
    """
    kept: list[TracebackType] = []
    while traceback is not None:
        if not _is_internal_frame(traceback):
            kept.append(traceback)
        traceback = traceback.tb_next
    rebuilt: TracebackType | None = None
    for frame in reversed(kept):
        rebuilt = TracebackType(rebuilt, frame.tb_frame, frame.tb_lasti, frame.tb_lineno)
    return rebuilt


def mark_raised_through_lua(error: BaseException) -> None:
    """Remember that `error` came out of Lua: `users_traceback_of` then trims it."""
    with contextlib.suppress(AttributeError, TypeError):
        setattr(error, THROUGH_LUA, True)


def users_traceback_of(error: BaseException) -> BaseException:
    """`error`, with the frames it gained on its way out of ilupa trimmed when it came
    out of Lua (a Python error of the user's); any other error unchanged."""
    if getattr(error, THROUGH_LUA, False):
        users = without_binding_frames(error.__traceback__)
        error.with_traceback(users)
        if users is None and not hasattr(error, "_render_traceback_"):
            # No frame of the user's (a Python builtin refused what Lua did, `py.l[1.5]`):
            # IPython would show the last frame it passed, ilupa's. The message and
            # Lua's traceback (the note) say where, as for a LuaError.
            with contextlib.suppress(AttributeError, TypeError):
                error._render_traceback_ = partial(_message_and_notes, error)  # type: ignore[attr-defined]
    return error


def _message_and_notes(error: BaseException) -> list[str]:
    return [f"{type(error).__name__}: {error}", *getattr(error, "__notes__", ())]


INTERRUPTED = "interrupted"
USER_FRAME = re.compile(r"^\s*(?P<chunk>[^\n]+?):(?P<line>\d+): in ")


def interrupt_error(
    sources: Mapping[str, str], traceback: str | None, what: str
) -> KeyboardInterrupt:
    """The KeyboardInterrupt for Lua stopped by the stop button, naming where it stopped.

    It stays a plain KeyboardInterrupt (frontends and `except Exception`
    treat it as one); its message names the cell and line of the innermost
    frame of a chunk ilupa ran, and IPython shows it like a `LuaError`,
    without ilupa's own Python frames. `what` says what Lua was running for
    when no cell line is known (a value being displayed, say).
    """
    lua_traceback = clean_traceback(traceback)
    location = None
    for line in lua_traceback.splitlines():
        match = USER_FRAME.match(line)
        if match and match["chunk"] in sources:
            _, location = locate(f"{match['chunk']}:{match['line']}: x", sources)
            break
    if location is not None:
        text = f"{location.chunk}:{location.line}: {INTERRUPTED}"
        if location.text:
            text += f"\n    {location.text.strip()}"
    else:
        text = f"{INTERRUPTED} ({what})"
    error = KeyboardInterrupt(text)
    lines = [f"KeyboardInterrupt: {INTERRUPTED}" if location else f"KeyboardInterrupt: {text}"]
    if location is not None:
        lines.append(f"  in {location.describe()}")
    if lua_traceback:
        lines.append(lua_traceback)
    error._render_traceback_ = lambda: lines  # type: ignore[attr-defined]
    return error


SURROGATE = re.compile("[\ud800-\udfff]")


def refuse_surrogates(code: str, chunk: str, sources: MutableMapping[str, str]) -> None:
    """Raise a LuaSyntaxError naming the cell line of the first lone surrogate in `code`.

    `code` is the chunk as Lua would get it (placed at the editor's line). A lone
    surrogate (`'\\udcff'`, from a paste or a decoded byte) is no Unicode text, so it
    has no UTF-8 form and lupa's encoding of the cell failed with a bare
    UnicodeEncodeError ("in position 10"), through ilupa's frames. Nothing of the
    cell runs. The quoted line shows the surrogate as its escape, so that the report
    itself can be encoded.
    """
    found = None if code.isascii() else SURROGATE.search(code)
    if found is None:
        return
    line = code.count("\n", 0, found.start()) + 1
    column = found.start() - (code.rfind("\n", 0, found.start()) + 1) + 1
    sources[chunk] = SURROGATE.sub(lambda s: s.group().encode("unicode_escape").decode(), code)
    point = ord(found.group())
    raise lua_error_from(
        LuaSyntaxError,
        f"{chunk}:{line}: a lone surrogate (U+{point:04X}) at column {column}: it is no "
        "Unicode character and has no UTF-8 form, so Lua cannot read the cell; nothing "
        "ran. Remove it, or write the bytes you mean as escapes in a string ('\\xff')",
        sources,
    )
