"""The fault corpus: bad inputs a kernel must survive, grouped by what they attack.

Each `Group` names the kernels (`ilupa`, and `python` with `%%lua` cells) and the
runtime it runs on, plus cells that set up what its entries use. Each `Entry` is
one cell with what it must give: a clear error (a fragment of
``"ename: evalue"``) or a defined result (a fragment of what the cell showed).
"""

from __future__ import annotations

from dataclasses import dataclass

LUA = "lua"
PYTHON = "python"
RAW = "raw"  # sent as written: IPython magics


@dataclass(frozen=True)
class Entry:
    """One bad input and the outcome it must have."""

    name: str
    code: str
    error: str | None = None  # fragment of "ename: evalue"; None: the cell succeeds
    shows: str | None = None  # fragment of the value or output shown when it succeeds
    language: str = LUA
    interrupt: bool = False  # interrupt the kernel once the cell has run a moment
    xfail: str | None = None  # a known bug, strict: the entry must keep failing
    xfail_in: tuple[str, ...] = ("ilupa", "python")  # the kernels where it fails


@dataclass(frozen=True)
class Group:
    """Entries that share one kernel (per kernel kind), set up once."""

    name: str
    entries: tuple[Entry, ...]
    kernels: tuple[str, ...] = ("ilupa", "python")
    runtime: str | None = None
    setup: tuple[Entry, ...] = ()  # cells run after the known state is defined


def fails(name: str, code: str, error: str, **options: object) -> Entry:
    """A Lua cell that must fail with `error` in its message."""
    return Entry(name, code, error=error, **options)  # type: ignore[arg-type]


def gives(name: str, code: str, shows: str | None = None, **options: object) -> Entry:
    """A Lua cell that must succeed, showing `shows` when given."""
    return Entry(name, code, shows=shows, **options)  # type: ignore[arg-type]


def python(name: str, code: str, error: str | None = None, shows: str | None = None) -> Entry:
    """A Python cell (`%%py` in the ilupa kernel)."""
    return Entry(name, code, error=error, shows=shows, language=PYTHON)


def raw(name: str, code: str, error: str | None = None, shows: str | None = None) -> Entry:
    """A cell sent as written (IPython magics), in either kernel."""
    return Entry(name, code, error=error, shows=shows, language=RAW)
