"""Setting `memory_limit` below what Lua uses is refused with what happened and how to fix it.

Before, the setting took effect and every later cell (even `%lua big = nil`)
failed with a bare "not enough memory".
"""

from __future__ import annotations

import logging

import pytest
from IPython.core.interactiveshell import InteractiveShell
from traitlets import TraitError

from tests.conftest import lua_magics, run


def test_a_limit_below_usage_is_refused_and_cells_keep_working(
    runtime_shell: InteractiveShell, caplog: pytest.LogCaptureFixture
) -> None:
    shell = runtime_shell
    run(shell, "%lua big = {} for i = 1, 1e6 do big[i] = i end").raise_error()
    magics = lua_magics(shell)
    before = magics.memory_limit
    with pytest.raises(TraitError, match=r"below the .* Lua uses now.*largest tables: big"):
        magics.memory_limit = "8MB"
    with caplog.at_level(logging.ERROR):
        run(shell, "%config LuaMagics.memory_limit = '8MB'")
    assert "or choose a limit above" in caplog.text
    assert magics.memory_limit == before
    assert run(shell, "%lua return 1 + 1").result == 2
    run(shell, "%lua big = nil collectgarbage() collectgarbage()").raise_error()
    magics.memory_limit = "8MB"  # fits now
    assert magics.memory_limit == 8_000_000
    assert run(shell, "%lua return 2 + 2").result == 4
