"""Lua's own test suite, file by file, as a cell and in plain lupa: a cell means what Lua means.

The files are Lua 5.4.8's `testes` for lua54 and Lua 5.5.0's for lua55
(tests/specs/lua-5.4.8 and lua-5.5.0, unchanged; see their README). Each
file runs in a fresh process twice, through
tests/lua_suite_runner.py: once as a `%%lua` cell of a real IPython shell
with ilupa, once with plain lupa on the same runtime, with the same text,
chunk name and lines. A file that passes in plain lupa must pass as a cell,
and one that fails must fail the same way.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ilupa.runtimes import available_runtimes

pytestmark = pytest.mark.slow

HERE = Path(__file__).parent
SUITE_5_4 = HERE / "specs" / "lua-5.4.8" / "testes"
SUITE_5_5 = HERE / "specs" / "lua-5.5.0" / "testes"
# The driver, the stand-alone interpreter's own tests, the C API's (they need the
# test library `T` compiled into Lua), a module other files load, and heavy.lua,
# which all.lua never runs (it fills gigabytes on purpose).
NOT_TEST_FILES = {"all.lua", "main.lua", "api.lua", "memerr.lua", "tracegc.lua", "heavy.lua"}
FILES_5_4 = sorted(p.name for p in SUITE_5_4.glob("*.lua") if p.name not in NOT_TEST_FILES)
FILES_5_5 = sorted(p.name for p in SUITE_5_5.glob("*.lua") if p.name not in NOT_TEST_FILES)


def outcome(side: str, runtime: str, path: Path) -> str:
    done = subprocess.run(
        [sys.executable, str(HERE / "lua_suite_runner.py"), side, runtime, str(path)],
        capture_output=True,
        text=True,
        errors="replace",
        timeout=600,
        cwd=path.parent,
    )
    # a file's own output may leave its last line open before the outcome
    lines = [
        line[line.index("OUTCOME ") :] for line in done.stdout.splitlines() if "OUTCOME " in line
    ]
    if not lines:
        return f"OUTCOME CRASH status {done.returncode}: {done.stderr[-500:]}"
    return lines[-1]


@pytest.mark.skipif("lua54" not in available_runtimes(), reason="lupa has no lua54 here")
@pytest.mark.parametrize("name", FILES_5_4)
def test_lua_5_4_suite_file_runs_in_a_cell_as_in_plain_lupa(name: str) -> None:
    path = SUITE_5_4 / name
    plain = outcome("plain", "lua54", path)
    cell = outcome("cell", "lua54", path)
    assert plain == "OUTCOME PASS", f"plain lupa fails {name}: {plain}"
    assert cell == plain


@pytest.mark.skipif("lua55" not in available_runtimes(), reason="lupa has no lua55 here")
@pytest.mark.parametrize("name", FILES_5_5)
def test_lua_5_5_suite_file_runs_in_a_cell_as_in_plain_lupa(name: str) -> None:
    path = SUITE_5_5 / name
    plain = outcome("plain", "lua55", path)
    cell = outcome("cell", "lua55", path)
    assert plain == "OUTCOME PASS", f"plain lupa fails {name}: {plain}"
    assert cell == plain
