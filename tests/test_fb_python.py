"""`require 'fb.python'` runs Torch-era code unchanged in a %%lua cell."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell

from ilupa.runtimes import available_runtimes
from tests.conftest import discard_shell, make_shell

SNIPPET = """\
py = require 'fb.python'
py.exec('import json')
data = py.reval('json.loads(open(file_name).read())', {file_name = file_name})
len = py.eval('len(data)', {data = data})
print(len)
print(py.eval(data[py.int(0)]))
"""


@pytest.fixture
def shell() -> InteractiveShell:
    shell = make_shell()
    yield shell
    shell.run_line_magic("unload_ext", "ilupa")
    discard_shell()


@pytest.mark.parametrize("runtime", available_runtimes())
def test_the_fb_python_snippet_runs_unchanged(
    shell: InteractiveShell, tmp_path: Path, runtime: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "data.json"
    path.write_text(json.dumps([{"name": "a"}, {"name": "b"}, {"name": "c"}]))
    shell.run_line_magic("lua_reset", runtime)
    shell.run_cell_magic("lua", "", f"file_name = {json.dumps(str(path))}")
    capsys.readouterr()
    shell.run_cell_magic("lua", "", SNIPPET)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "3"
    assert lines[1].startswith("table: ")
    assert shell.run_line_magic("lua", "data[0].name") == "a"


def test_fb_python_eval_converts_and_reval_refers(shell: InteractiveShell) -> None:
    result = shell.run_cell_magic(
        "lua",
        "",
        "local py = require 'fb.python'\n"
        "local t = py.eval('[1, [2, 3]]')\n"
        "local r = py.reval('[1, [2, 3]]')\n"
        "return type(t), t[2][1], #r, py.eval(r[1][0]), py.eval(py.list({4, 5}))[2],"
        " rawequal(py.reval(r), r)",
    )
    assert result == ("table", 2, 2, 2, 5, True)


def test_fb_python_module_falls_back_to_the_namespace(shell: InteractiveShell) -> None:
    shell.user_ns["answer"] = 42
    assert shell.run_cell_magic("lua", "", "py = require 'fb.python'\nreturn py.answer") == 42


FB_CALLS = """
local py = require 'fb.python'
local math_module = py.import('math')
local r = py.reval('[3, 1, 2]')
return py.eval(math_module.sqrt(16)), py.eval(r + r)[6], #r, py.eval(r[0] * 2),
  py.eval(r:index(2)), tostring(py.None), py.eval(py.dict({a = 1}).a),
  tostring(py.tuple({1, 2})), py.eval(py.str(py.bytes('hi'))), py.eval(py.long(2.9)),
  py.eval(py.float(py.bytes('1.5'))), py.eval(py.unicode('3')),
  py.eval('x + y', {x = 1, y = 2}), py.eval('x', {x = {1, 2}})[2]
"""


@pytest.mark.parametrize("runtime", available_runtimes())
def test_fb_python_functions_keep_their_semantics(shell: InteractiveShell, runtime: str) -> None:
    shell.run_line_magic("lua_reset", runtime)
    result = shell.run_cell_magic("lua", "", FB_CALLS)
    assert result == (4.0, 2, 3, 6, 2, "None", 1, "(1.0, 2.0)", "hi", 2, 1.5, "3", 3, 2)


def test_fb_python_exec_shares_the_notebook_namespace(shell: InteractiveShell) -> None:
    shell.run_cell_magic(
        "lua", "", "local py = require 'fb.python'\npy.exec('made_in_lua = 6 * 7')"
    )
    assert shell.user_ns["made_in_lua"] == 42
    local = shell.run_cell_magic(
        "lua", "", "local py = require 'fb.python'\npy.exec('z = q * 2', {q = 5})\nreturn py.z"
    )
    assert local is None and "z" not in shell.user_ns  # locals table: no leak into globals


def test_fb_python_errors_are_catchable_in_lua_with_the_python_message(
    shell: InteractiveShell,
) -> None:
    result = shell.run_cell_magic(
        "lua",
        "",
        "local py = require 'fb.python'\n"
        "local ok, err = pcall(py.exec, '1 / 0')\n"
        "return ok, tostring(err):find('division by zero') ~= nil",
    )
    assert result == (False, True)
