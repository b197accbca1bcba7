"""Fixtures that give each test a real IPython shell with ilupa loaded."""

from __future__ import annotations

import atexit
from collections.abc import Iterator

import pytest
from IPython.core.interactiveshell import ExecutionResult, InteractiveShell
from traitlets.config import Config

from ilupa.runtimes import available_runtimes
from ilupa.session import LuaSession

RUNTIMES = available_runtimes()


def make_shell() -> InteractiveShell:
    """A fresh IPython shell (history in memory) with `%load_ext ilupa` done."""
    discard_shell()
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    shell = InteractiveShell.instance(config=config)
    result = shell.run_cell("%load_ext ilupa", store_history=True)
    result.raise_error()
    return shell


def discard_shell() -> None:
    """Let the current shell go, with its Lua state.

    Each IPython shell registers an atexit hook that keeps it alive until the
    process exits, then resets it with a full garbage collection: over a whole
    suite that is gigabytes held and minutes spent at exit. A test's shell
    needs none of it (its history is in memory).
    """
    if not InteractiveShell.initialized():
        return
    shell = InteractiveShell.instance()
    atexit.unregister(shell.atexit_operations)
    if shell.history_manager is not None:
        shell.history_manager.close()
    InteractiveShell.clear_instance()


@pytest.fixture
def shell() -> Iterator[InteractiveShell]:
    shell = make_shell()
    yield shell
    discard_shell()


@pytest.fixture(params=RUNTIMES)
def runtime_shell(request: pytest.FixtureRequest, shell: InteractiveShell) -> InteractiveShell:
    """A shell whose Lua state runs on each runtime lupa ships here, in turn."""
    run(shell, f"%lua_reset {request.param}").raise_error()
    return shell


def run(shell: InteractiveShell, cell: str) -> ExecutionResult:
    """Run a cell as a notebook would (counted in history, so `Out` and `_` are set)."""
    return shell.run_cell(cell, store_history=True)


def lua_magics(shell: InteractiveShell):
    return shell.magics_manager.registry["LuaMagics"]


@pytest.fixture(params=RUNTIMES)
def session(request: pytest.FixtureRequest) -> LuaSession:
    """A bare LuaSession (no IPython) on each runtime lupa ships here, in turn."""
    return LuaSession(request.param, {})
