"""Errors of the sandbox: a budget was exceeded, or a value cannot cross into it."""

from __future__ import annotations

from IPython.core.error import UsageError

from ilupa.errors import LuaError, LuaMemoryError


class SandboxInstructionLimit(LuaError):
    """A sandboxed cell ran more Lua VM instructions than its budget allows."""

    kind = "SandboxInstructionLimit"


class SandboxMemoryLimit(LuaMemoryError):
    """A sandboxed cell needed more memory than the sandbox's budget."""

    kind = "SandboxMemoryLimit"


class SandboxUnavailable(UsageError):
    """The sandbox cannot be made on this runtime (no memory budget possible)."""


class NotPlainData(UsageError):
    """A Python value given to the sandbox is not plain data (numbers, strings, lists, dicts)."""
