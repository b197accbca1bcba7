"""A sandboxed Lua state for code that is not trusted (`%%lua --sandbox`)."""

from ilupa.sandbox.errors import (
    NotPlainData,
    SandboxCopyRefused,
    SandboxInstructionLimit,
    SandboxMemoryLimit,
    SandboxOutputLimit,
    SandboxUnavailable,
)
from ilupa.sandbox.state import SandboxState

__all__ = [
    "NotPlainData",
    "SandboxCopyRefused",
    "SandboxInstructionLimit",
    "SandboxMemoryLimit",
    "SandboxOutputLimit",
    "SandboxState",
    "SandboxUnavailable",
]
