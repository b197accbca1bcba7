"""papermill runs ilupa notebooks with parameters: `-p`, `-y`, every YAML type, every runtime.

The CLI runs as a user would run it (a subprocess, `-k ilupa`), with the runtime
chosen by ILUPA_RUNTIME; the last cell of the notebook encodes what Lua holds as
JSON, which the test compares with the values given on the command line.
(A dict mixing number and string keys cannot be passed: papermill itself
stores the parameters as sorted JSON in the notebook's metadata.)
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

import tests.kernel_support  # noqa: F401  (installs the kernelspec first)
from ilupa.papermill.translator import LuaTranslator, lua_string
from ilupa.runtimes import load_runtime_module
from tests.notebook_helpers import stream_text

pytestmark = pytest.mark.notebook

PAPERMILL_RUNTIMES = ["lua51", "lua54", "luajit21"]

# Lua that prints its globals as JSON: NaN and infinities as strings, tables with keys
# 1..n as arrays, other tables as objects with their keys as text.
AS_JSON = r"""
local function enc(v)
  local t = type(v)
  if v == nil then return "null" end
  if t == "boolean" then return tostring(v) end
  if t == "number" then
    if v ~= v then return '"nan"' end
    if v == math.huge then return '"inf"' end
    if v == -math.huge then return '"-inf"' end
    return string.format("%.17g", v)
  end
  if t == "string" then
    return '"' .. v:gsub('[%c"\\]', function(c)
      return string.format("\\u%04x", c:byte())
    end) .. '"'
  end
  local count = 0
  for _ in pairs(v) do count = count + 1 end
  local parts = {}
  if count == #v then
    for i = 1, #v do parts[i] = enc(v[i]) end
    return "[" .. table.concat(parts, ",") .. "]"
  end
  for k, x in pairs(v) do parts[#parts + 1] = enc(tostring(k)) .. ":" .. enc(x) end
  table.sort(parts)
  return "{" .. table.concat(parts, ",") .. "}"
end
print(enc({NAMES}))
"""

YAML_PARAMETERS = r"""
count: 10
negative: -7
ratio: 0.1
tiny: 1.0e-300
up: .inf
down: -.inf
missing: .nan
flag: true
unset: false
nothing: null
text: "say \"hi\" \\ back\nnext line\0after nul\ttab 'single' ]] [[ end"
unicode: "grüße ✓"
items: [1, two, [3, 4.5], {k: v}]
nested:
  inner: {deeper: [true, false]}
  "not an identifier": 5
  end: keyword key
numbered: {10: ten, 20: twenty}
"""

EXPECTED = {
    "count": 10,
    "negative": -7,
    "ratio": 0.1,
    "tiny": 1e-300,
    "up": "inf",
    "down": "-inf",
    "missing": "nan",
    "flag": True,
    "unset": False,
    "text": "say \"hi\" \\ back\nnext line\0after nul\ttab 'single' ]] [[ end",
    "unicode": "grüße ✓",
    "items": [1, "two", [3, 4.5], {"k": "v"}],
    "nested": {
        "inner": {"deeper": [True, False]},
        "not an identifier": 5,
        "end": "keyword key",
    },
    "numbered": {"10": "ten", "20": "twenty"},
}


def parameters_notebook(defaults: dict[str, str], names: list[str]) -> nbformat.NotebookNode:
    """An ilupa notebook: a `parameters` cell of defaults, then a cell printing `names` as JSON."""
    parameters = new_code_cell("\n".join(f"{k} = {v}" for k, v in defaults.items()))
    parameters.metadata["tags"] = ["parameters"]
    fields = ", ".join(f"{name} = {name}" for name in names)
    report = new_code_cell(AS_JSON.replace("{NAMES}", "{" + fields + "}"))
    nil_check = new_code_cell("print('nothing is nil: ' .. tostring(nothing == nil))")
    notebook = new_notebook(cells=[parameters, nil_check, report])
    notebook.metadata["kernelspec"] = {"name": "ilupa", "language": "lua", "display_name": "Lua"}
    return notebook


def run_papermill(tmp_path: Path, notebook: nbformat.NotebookNode, runtime: str, *args: str):
    source, target = tmp_path / "in.ipynb", tmp_path / "out.ipynb"
    nbformat.write(notebook, source)
    completed = subprocess.run(
        [sys.executable, "-m", "papermill", str(source), str(target), "-k", "ilupa", *args],
        env={**os.environ, "ILUPA_RUNTIME": runtime},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return nbformat.read(target, as_version=4)


@pytest.mark.parametrize("runtime", PAPERMILL_RUNTIMES)
def test_yaml_parameters_of_every_type_reach_lua(tmp_path: Path, runtime: str) -> None:
    defaults = {name: "'default'" for name in [*EXPECTED, "nothing"]}
    notebook = parameters_notebook(defaults, list(EXPECTED))
    out = run_papermill(tmp_path, notebook, runtime, "-y", YAML_PARAMETERS)
    injected = next(c for c in out.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert injected.source.startswith("-- Parameters\n")
    assert "nothing is nil: true" in stream_text(out.cells[2])
    assert json.loads(stream_text(out.cells[3])) == EXPECTED


@pytest.mark.parametrize("runtime", PAPERMILL_RUNTIMES)
def test_command_line_parameters_override_the_defaults(tmp_path: Path, runtime: str) -> None:
    defaults = {"n": "1", "name": "'nobody'", "rate": "0.5", "verbose": "false", "kept": "'yes'"}
    notebook = parameters_notebook(defaults, ["n", "name", "rate", "verbose", "kept"])
    out = run_papermill(
        tmp_path, notebook, runtime,
        "-p", "n", "10", "-p", "name", 'O\'Neil "the" \\ one', "-p", "rate", "2.5",
        "-p", "verbose", "True", "-p", "nothing", "None",
    )  # fmt: skip
    assert json.loads(stream_text(out.cells[3])) == {
        "n": 10,
        "name": 'O\'Neil "the" \\ one',
        "rate": 2.5,
        "verbose": True,
        "kept": "yes",
    }


def test_papermill_finds_the_translator_by_kernel_and_by_language() -> None:
    from papermill.translators import papermill_translators

    assert papermill_translators.find_translator("ilupa", "lua") is LuaTranslator
    assert papermill_translators.find_translator("some-other-lua-kernel", "lua") is LuaTranslator


@pytest.mark.parametrize("runtime", ["lua51", "lua52", "lua53", "lua54", "lua55", "luajit21"])
def test_every_byte_and_float_reads_back_exactly(runtime: str) -> None:
    """The translator's literals, read by each runtime's own parser, give back the value."""
    module = load_runtime_module(runtime)
    lua = module.LuaRuntime(encoding=None)
    every_byte = "".join(map(chr, range(128))) + "é✓"
    text = lua.eval(lua_string(every_byte))
    assert text == every_byte.encode()
    assert lua.eval(lua_string("9\0" + "1")) == b"9\x001"  # an escape followed by a digit
    for value in (0.1, -2.5e-308, 1.7976931348623157e308, 5e-324, 1 / 3):
        assert lua.eval(LuaTranslator.translate_float(value)) == value
    assert lua.eval(LuaTranslator.translate_float(math.inf)) == math.inf
    assert lua.eval(LuaTranslator.translate_float(-math.inf)) == -math.inf
    assert math.isnan(lua.eval(LuaTranslator.translate_float(math.nan)))
    table = lua.eval(LuaTranslator.translate({"end": [1, {"a-b": None}], 2: "two"}))
    assert table[b"end"][1] == 1 and table[2] == b"two"
    assert module.lua_type(table[b"end"][2]) == "table"


def test_a_key_lua_cannot_hold_is_refused_with_its_name() -> None:
    with pytest.raises(ValueError, match="None"):
        LuaTranslator.translate({None: 1})


def test_help_notebook_lists_lua_parameters() -> None:
    cell = new_code_cell("count = 10 -- how many\nname = 'x'\nlocal flag = true")
    found = {p.name: p for p in LuaTranslator.inspect(cell)}
    assert found["count"].inferred_type_name == "number" and found["count"].help == "how many"
    assert found["name"].inferred_type_name == "string"
    assert found["flag"].default == "true"
