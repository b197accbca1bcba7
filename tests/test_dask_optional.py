"""Dask stays optional: ilupa's core, its magics and a Lua cell never import it."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
shell.run_cell("%load_ext ilupa").raise_error()
shell.run_cell("%%lua\\nx = 1 + 1").raise_error()
result = shell.run_cell("%%lua --workers\\nx = 1")
print(type(result.error_in_exec).__name__)
print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))
"""


def test_core_and_a_lua_cell_import_no_dask_and_workers_cells_ask_to_attach():
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out[-2:] == ["UsageError", "[]"]
