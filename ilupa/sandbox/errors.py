"""Errors of the sandbox: a budget was exceeded, or a value cannot cross into it."""

from __future__ import annotations

from IPython.core.error import UsageError

from ilupa.errors import CopyError, LuaError, LuaMemoryError


class SandboxInstructionLimit(LuaError):
    """A sandboxed cell ran more Lua VM instructions than its budget allows."""

    kind = "SandboxInstructionLimit"


class SandboxMemoryLimit(LuaMemoryError):
    """A sandboxed cell needed more memory than the sandbox's budget."""

    kind = "SandboxMemoryLimit"


class SandboxCopyRefused(SandboxMemoryLimit, CopyError):
    """An `-i` copy into the sandbox would not fit its memory budget; nothing was copied."""

    kind = "SandboxCopyRefused"


class SandboxOutputLimit(LuaError, CopyError):
    """Values copied out of the sandbox (`-o`, the cell's value) would take too much memory."""

    kind = "SandboxOutputLimit"


class SandboxUnavailable(UsageError):
    """The sandbox cannot be made on this runtime (no memory budget possible)."""


class NotPlainData(UsageError, CopyError):
    """A Python value given to the sandbox is not plain data (numbers, strings, lists, dicts)."""
