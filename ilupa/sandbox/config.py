"""The sandbox's settings on `LuaMagics`, and the one sandboxed state per shell.

A mixin, so that lua_magics.py only gains the `--sandbox` option: the budgets
and the state's lifetime live here. Changing a budget starts a fresh sandbox
the next time one is needed.
"""

from __future__ import annotations

from typing import Any

from traitlets import Int, TraitError, Unicode, Union, observe, validate
from traitlets.config import Configurable

from ilupa.memory.budget import parse_bytes
from ilupa.runtimes import RuntimeUnavailable, load_runtime_module
from ilupa.sandbox.state import SandboxState
from ilupa.streams.budget import DEFAULT_OUTPUT_LIMIT

DEFAULT_SANDBOX_MEMORY = "64MiB"
DEFAULT_SANDBOX_INSTRUCTIONS = 100_000_000


class SandboxConfig(Configurable):
    """Budgets and runtime of the sandboxed Lua state (`%%lua --sandbox`)."""

    sandbox_memory_limit = Union(
        [Int(), Unicode()],
        default_value=DEFAULT_SANDBOX_MEMORY,
        help="Lua memory budget of the sandbox: bytes, or a size such as '64MiB'.",
    ).tag(config=True)

    sandbox_instruction_limit = Int(
        DEFAULT_SANDBOX_INSTRUCTIONS,
        help=(
            "Lua VM instructions one sandboxed cell may run (counted every 1,000); "
            "past it the cell stops with SandboxInstructionLimit."
        ),
    ).tag(config=True)

    sandbox_runtime = Unicode(
        "",
        help="lupa runtime of the sandbox; empty means the same as LuaMagics.runtime.",
    ).tag(config=True)

    _sandbox: SandboxState | None = None

    @validate("sandbox_memory_limit")
    def _check_sandbox_memory_limit(self, proposal: dict[str, Any]) -> int:
        try:
            limit = parse_bytes(proposal["value"])
        except ValueError as error:
            raise TraitError(str(error)) from None
        if limit <= 0:
            raise TraitError("sandbox_memory_limit must be positive")
        return limit

    @validate("sandbox_instruction_limit")
    def _check_sandbox_instruction_limit(self, proposal: dict[str, Any]) -> int:
        if proposal["value"] <= 0:
            raise TraitError("sandbox_instruction_limit must be positive")
        return proposal["value"]

    @validate("sandbox_runtime")
    def _check_sandbox_runtime(self, proposal: dict[str, Any]) -> str:
        if proposal["value"]:
            try:
                load_runtime_module(proposal["value"])
            except RuntimeUnavailable as error:
                raise TraitError(str(error)) from None
        return proposal["value"]

    @observe("sandbox_memory_limit", "sandbox_instruction_limit", "sandbox_runtime")
    def _sandbox_settings_changed(self, change: dict[str, Any]) -> None:
        self._sandbox = None

    @property
    def sandbox(self) -> SandboxState:
        """The sandboxed Lua state, created on first use and kept across sandboxed cells."""
        if self._sandbox is None:
            self._sandbox = SandboxState(
                self.sandbox_runtime or self.runtime,
                parse_bytes(self.sandbox_memory_limit),
                self.sandbox_instruction_limit,
                output_limit=getattr(self, "output_limit", DEFAULT_OUTPUT_LIMIT),
            )
        return self._sandbox

    def reset_sandbox(self) -> SandboxState:
        """Replace the sandbox with a fresh one; the shared Lua state is untouched."""
        self._sandbox = None
        sandbox = self.sandbox
        print(f"Fresh Lua sandbox (runtime {sandbox.runtime_name})")
        return sandbox
