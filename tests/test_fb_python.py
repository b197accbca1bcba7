"""`require 'fb.python'` runs Torch-era code unchanged in a %%lua cell."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell

from ilupa.errors import LuaRuntimeError
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


# -- fblualib's README, as written -------------------------------------------------

README_RUNTIMES = [
    name for name in ("luajit21", "luajit20", "lua54") if name in available_runtimes()
]
FRESH_MARK = "--fresh--\n"


def run_readme(shell: InteractiveShell, runtime: str, code: str) -> None:
    """Run `code` after fblualib's `local py = require('fb.python')` in a fresh state."""
    shell.run_line_magic("lua_reset", runtime)
    sys.stdout.write(FRESH_MARK)
    shell.run_cell_magic("lua", "", "local py = require('fb.python')\n" + code)


def printed(capsys: pytest.CaptureFixture[str]) -> str:
    """What the cells printed since the last fresh state."""
    return capsys.readouterr().out.rpartition(FRESH_MARK)[2]


@pytest.mark.parametrize("runtime", README_RUNTIMES)
def test_readme_exec_and_eval_example_prints_53(
    shell: InteractiveShell, runtime: str, capsys: pytest.CaptureFixture[str]
) -> None:
    run_readme(
        shell,
        runtime,
        """py.exec([=[
import numpy as np
def foo(x):
  return x + 1
]=])

print(py.eval('foo(a) + 10', {a = 42}))  -- prints 53
""",
    )
    # a Python float: Lua 5.3+ prints floats with their ".0"
    assert printed(capsys) == ("53.0\n" if runtime == "lua54" else "53\n")


@pytest.mark.parametrize("runtime", README_RUNTIMES)
def test_readme_data_model_example_copies_both_ways(
    shell: InteractiveShell, runtime: str, capsys: pytest.CaptureFixture[str]
) -> None:
    run_readme(
        shell,
        runtime,
        """a = {foo = 'bar'}

py.exec([=[
a['foo'] = 'baz'
global b
b = a
]=], {a = a})
print(a['foo'])  -- prints bar; Python change not reflected back

a['foo'] = 'meow'

py.exec([=[
print(b['foo'])
]=])  -- prints baz; Lua change not reflected back
""",
    )
    assert printed(capsys) == "bar\nbaz\n"


@pytest.mark.parametrize("runtime", README_RUNTIMES)
def test_readme_none_example(
    shell: InteractiveShell, runtime: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(LuaRuntimeError, match="NameError: name 'a' is not defined"):
        run_readme(
            shell,
            runtime,
            "py.exec('print(a)', {a = nil})\n"
            "-- won't print None; will complain about undefined variable 'a'",
        )
    run_readme(shell, runtime, "py.exec('print(a)', {a = py.None})\n-- prints None")
    assert printed(capsys) == "None\n"


@pytest.mark.parametrize("runtime", README_RUNTIMES)
def test_readme_opaque_reference_example(
    shell: InteractiveShell, runtime: str, capsys: pytest.CaptureFixture[str]
) -> None:
    run_readme(
        shell,
        runtime,
        "local x = py.int(42)  -- x wraps a Python int, not float\n"
        "py.exec('print(type(x))', {x = x}) -- prints <type 'int'>",
    )
    assert printed(capsys) == "<class 'int'>\n"  # Python 3 names the type so


TYING_TOGETHER = """-- np is opaque reference to Python numpy module
local np = py.import('numpy')

-- t1 is opaque reference to numpy.ndarray
local t1 = np.tri(10).transpose()

-- t2 is t1 converted to torch Tensor
local t2 = py.eval(t1)
"""


@pytest.mark.parametrize("runtime", README_RUNTIMES)
def test_readme_example_tying_all_together(shell: InteractiveShell, runtime: str) -> None:
    run_readme(
        shell,
        runtime,
        TYING_TOGETHER + "result = {tostring(t2), t2[0][9], t2[9][0], py.eval(t1.shape)[1]}",
    )
    assert list(shell.run_line_magic("lua", "result").values()) == [
        "array view (float64, shape (10, 10))",
        1,
        0,
        10,
    ]


def test_readme_nltk_lines_of_that_example(shell: InteractiveShell) -> None:
    nltk = pytest.importorskip("nltk")
    try:
        nltk.word_tokenize("Hello world")
    except LookupError:
        pytest.skip("nltk's tokenizer data is not installed")
    run_readme(
        shell,
        README_RUNTIMES[0],
        "local nltk = py.import('nltk')\n"
        "local tokenized = py.eval(nltk.word_tokenize('Hello world, cats are awesome'))\n"
        "result = tokenized",
    )
    assert shell.run_line_magic("lua", "result[1]") == "Hello"


@pytest.mark.parametrize("runtime", README_RUNTIMES)
def test_readme_lexec_example_prints_a_float(
    shell: InteractiveShell, runtime: str, capsys: pytest.CaptureFixture[str]
) -> None:
    run_readme(shell, runtime, "a = 42\npy.lexec('print(a)')  -- prints 42.0")
    assert printed(capsys) == "42.0\n"


# -- the rules, one at a time ----------------------------------------------------------


def lua(shell: InteractiveShell, runtime: str, code: str) -> object:
    shell.run_line_magic("lua_reset", runtime)
    return shell.run_cell_magic("lua", "", "local py = require 'fb.python'\n" + code)


@pytest.mark.parametrize("runtime", README_RUNTIMES)
def test_lua_numbers_arrive_as_float_and_integral_keys_as_int(
    shell: InteractiveShell, runtime: str
) -> None:
    code = (
        "return py.eval('[type(x).__name__ for x in (a, b, c)]', {a = 42, b = 2^53, c = 0.5}),"
        " py.eval('sorted(type(k).__name__ for k in t)', {t = {[3] = 1, [2.5] = 2}})"
    )
    names, keys = lua(shell, runtime, code)
    assert list(names.values()) == ["float", "float", "float"]
    assert list(keys.values()) == ["float", "int"]


@pytest.mark.parametrize("runtime", README_RUNTIMES)
def test_lua_strings_arrive_as_bytes_whatever_their_bytes(
    shell: InteractiveShell, runtime: str
) -> None:
    code = r"""
    local s = '\255\254\0caf\195\169'
    return py.eval('a', {a = s}) == s, py.eval('len(a)', {a = s}),
      py.eval('type(a).__name__', {a = s}), py.eval(py.bytes(s)) == s,
      py.eval('list(t)[0]', {t = {['\195\169t\195\169'] = 1}}), #py.bytes(s)
    """
    assert lua(shell, runtime, code) == (True, 8, "bytes", True, "été", 8)


@pytest.mark.parametrize("runtime", README_RUNTIMES)
def test_operations_on_references_chain_until_eval(shell: InteractiveShell, runtime: str) -> None:
    code = """
    local os = py.import('os.path')
    local joined = os.join('a', 'b')
    local n = py.int(7)
    local chained = (n * 3 + 1) / py.int(2)
    local d = py.dict({x = {1, 2}})
    return type(joined), py.eval(joined), py.eval(chained), py.eval(d.x[1]),
      py.eval(d['x']), n == py.int(7), n < py.int(8), py.eval(py.reval('[1, 2]') .. {3})
    """
    handle = "table" if runtime == "lua54" else "userdata"
    result = lua(shell, runtime, code)
    assert result[:4] == (handle, "a/b", 11, 2)  # joined: Lua strings are bytes
    assert list(result[4].values()) == [1, 2]
    assert result[5:7] == (True, True)
    assert list(result[7].values()) == [1, 2, 3]


@pytest.mark.parametrize("runtime", README_RUNTIMES)
def test_references_cross_ilupas_own_ways_as_their_objects(
    shell: InteractiveShell, runtime: str
) -> None:
    shell.user_ns["seen"] = []
    lua(shell, runtime, "r = py.int(5)\npy.seen.append(r)\npy.kept = py.str('k')")
    assert shell.user_ns["seen"] == [5] and shell.user_ns["kept"] == "k"
    assert shell.run_line_magic("lua", "r") == 5  # a cell's value
    shell.run_cell_magic("lua", "-o r", "r = (require 'fb.python').bytes('x')")
    assert shell.user_ns["r"] == b"x"


@pytest.mark.parametrize("runtime", README_RUNTIMES)
def test_py_name_and_i_keep_ilupas_rules(shell: InteractiveShell, runtime: str) -> None:
    shell.user_ns["n"] = 42
    shell.user_ns["s"] = "text"
    shell.run_line_magic("lua_reset", runtime)
    code = "py = require 'fb.python'\nreturn py.n + 1, type(py.n), s, math.type and math.type(py.n)"
    result = shell.run_cell_magic("lua", "-i s", code)
    assert result[:3] == (43, "number", "text")
    assert result[3] in (None, "integer")


@pytest.mark.parametrize("runtime", README_RUNTIMES)
def test_eval_none_keeps_none_as_py_none(shell: InteractiveShell, runtime: str) -> None:
    code = """
    local t = py.eval_none('{"a": [None, 1], "b": None}')
    return rawequal(t.b, py.None), rawequal(t.a[1], py.None), t.a[2],
      py.eval_none('None') == py.None, py.eval('[None, 1]')[1], py.eval('a is None', {a = t.b})
    """
    assert lua(shell, runtime, code) == (True, True, 1, True, None, True)


@pytest.mark.parametrize("runtime", README_RUNTIMES)
def test_lexec_leval_lreval_see_locals_upvalues_and_globals(
    shell: InteractiveShell, runtime: str
) -> None:
    code = """
    g = 1
    local up = 10
    local function f()
      local x, _hidden = 100, up - 5  -- (uses `up`: only then is it an upvalue of f)
      local vars = py.get_vars()
      return py.leval('g + up + x'), py.eval(py.lreval('[up]'))[1], vars._hidden,
        vars.f, vars.string
    end
    local x = 'shadowed'
    py.lexec('made = g * 2')
    local a, b, c, d, e = f()
    return a, b, c, d, e, py.leval('x')
    """
    assert lua(shell, runtime, code) == (111, 10, None, None, None, "shadowed")
    # lexec's variables are its locals, as fblualib's were: what it assigns stays there
    assert "made" not in shell.user_ns


@pytest.mark.parametrize("runtime", README_RUNTIMES)
def test_check_no_refs_sees_a_reference_still_held(shell: InteractiveShell, runtime: str) -> None:
    with pytest.raises(LuaRuntimeError, match=r"1 references are still alive: \[1, 2\]"):
        lua(shell, runtime, "kept = py.reval('[1, 2]')\npy._check_no_refs()")
    shell.run_cell_magic("lua", "", "kept = nil\n(require 'fb.python')._check_no_refs()")


@pytest.mark.parametrize("runtime", README_RUNTIMES)
def test_python_errors_carry_the_traceback_at_the_callers_line(
    shell: InteractiveShell, runtime: str
) -> None:
    shell.user_ns["fail"] = lambda: {}["missing"]
    with pytest.raises(LuaRuntimeError) as raised:
        lua(shell, runtime, "local f = py.reval('fail')\nlocal x = 1\nf()")
    message = raised.value.message
    assert message.startswith("Python error: opaque ref: call\nTraceback (most recent call last):")
    assert "KeyError: 'missing'" in message and "ilupa/proxy" not in message
    assert raised.value.location is not None and raised.value.location.text == "f()"


@pytest.mark.parametrize("runtime", README_RUNTIMES)
def test_args_and_kwargs_follow_fblualibs_order(shell: InteractiveShell, runtime: str) -> None:
    with pytest.raises(LuaRuntimeError, match="regular arguments specified after args / kwargs"):
        lua(shell, runtime, "py.reval('print')(py.args, {1}, 2)")
    code = "return py.eval(py.reval('dict')(py.kwargs, {a = 1})).a"
    assert lua(shell, runtime, code) == 1
