"""A sandboxed Lua state for code that is not trusted (`%%lua --sandbox`)."""

from ilupa.sandbox.errors import (
    NotPlainData,
    SandboxInstructionLimit,
    SandboxMemoryLimit,
    SandboxUnavailable,
)
from ilupa.sandbox.state import SandboxState

__all__ = [
    "NotPlainData",
    "SandboxInstructionLimit",
    "SandboxMemoryLimit",
    "SandboxState",
    "SandboxUnavailable",
]
