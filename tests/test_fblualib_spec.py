"""fblualib's own test file for fb.python runs in a real IPython shell, one test a cell.

The file is tests/specs/lua_python_test.lua (its header says where it comes
from and which harness lines and Python 3 spellings were edited). Its four
torch tests are not run. Each test runs as a `%%lua` cell holding the file's
header (its `require` lines), the helper functions written before the test,
the test function and its call, after a prelude cell that gives luaunit's
asserts (`assertEquals` compares tables as Penlight's `deepcompare` does,
numbers in tables within 1e-14), written here so that neither luaunit nor
Penlight is needed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell

from ilupa.runtimes import available_runtimes
from tests.conftest import discard_shell, make_shell

SPEC = Path(__file__).parent / "specs" / "lua_python_test.lua"
TORCH_TESTS = frozenset({"testEmptyTensor", "testTensor", "testNoLeaks", "testThreads"})
RUNTIMES = [name for name in ("luajit21", "luajit20", "lua54") if name in available_runtimes()]

PRELUDE = r"""
-- fb.luaunit's asserts: assertEquals(actual, expected) compares two tables as
-- Penlight's tablex.deepcompare(a, b, false, 1e-14) does, anything else with ==
-- after checking the types.
local abs = math.abs

local function deep_equal(a, b, cache)
  if cache[a] and cache[a][b] then return true end
  if type(a) ~= type(b) then return false end
  if type(a) ~= "table" then
    if type(a) == "number" then return abs(a - b) < 1e-14 end
    return a == b
  end
  local mt = getmetatable(a)
  if mt and mt.__eq then return a == b end
  for k in pairs(a) do
    if b[k] == nil then return false end
  end
  for k in pairs(b) do
    if a[k] == nil then return false end
  end
  cache[a] = cache[a] or {}
  cache[a][b] = true
  for k, v in pairs(a) do
    if not deep_equal(v, b[k], cache) then return false end
  end
  return true
end

local function shown(v)
  if type(v) ~= "table" then return tostring(v) end
  local parts = {}
  for k, x in pairs(v) do parts[#parts + 1] = tostring(k) .. "=" .. shown(x) end
  table.sort(parts)
  return "{" .. table.concat(parts, ", ") .. "}"
end

local function differ(actual, expected)
  error("expected: " .. shown(expected) .. ", actual: " .. shown(actual), 3)
end

function assertEquals(actual, expected)
  if type(actual) == "table" and type(expected) == "table" then
    if not deep_equal(actual, expected, {}) then differ(actual, expected) end
  elseif type(actual) ~= type(expected) or actual ~= expected then
    differ(actual, expected)
  end
end

function assertTrue(value)
  if not value then error("expected: true, actual: " .. tostring(value), 2) end
end

function assertFalse(value)
  if value then error("expected: false, actual: " .. tostring(value), 2) end
end
"""


def spec_blocks() -> tuple[str, list[tuple[str, str]]]:
    """The spec's header (everything before its first function) and its top-level
    functions in order, as (name, source)."""
    lines = SPEC.read_text().splitlines()
    start = re.compile(r"^(?:local )?function (\w+)\(")
    first = next(i for i, line in enumerate(lines) if start.match(line))
    blocks: list[tuple[str, str]] = []
    i = first
    while i < len(lines):
        found = start.match(lines[i])
        if not found:
            i += 1
            continue
        end = next(j for j in range(i, len(lines)) if lines[j] == "end")
        blocks.append((found.group(1), "\n".join(lines[i : end + 1])))
        i = end + 1
    return "\n".join(lines[:first]), blocks


def spec_cells() -> dict[str, str]:
    """One cell per runnable test: header, the helpers written before it, the test, its call."""
    header, blocks = spec_blocks()
    cells: dict[str, str] = {}
    helpers: list[str] = []
    for name, source in blocks:
        if not name.startswith("test"):
            helpers.append(source)
        elif name not in TORCH_TESTS:
            cells[name] = "\n\n".join([header, *helpers, source, f"{name}()"])
    return cells


CELLS = spec_cells()


def test_the_spec_has_the_ten_tests_that_need_no_torch() -> None:
    assert list(CELLS) == [
        "testFundamental",
        "testSequence",
        "testMapping",
        "testRefs",
        "testCoerce",
        "testVarargs",
        "testVarargsWithRefs",
        "testOperators",
        "testImport",
        "testRandomized",
    ]


@pytest.fixture(scope="module")
def shells() -> dict[str, InteractiveShell]:
    """One shell, its Lua state reset to a runtime (with the prelude) when a test asks for it."""
    shell = make_shell()
    state: dict[str, InteractiveShell] = {}

    def on(runtime: str) -> InteractiveShell:
        if state.get("runtime") != runtime:
            shell.run_line_magic("lua_reset", runtime)
            shell.run_cell_magic("lua", "", PRELUDE)
            state["runtime"] = runtime
        return shell

    yield on
    shell.run_line_magic("unload_ext", "ilupa")
    discard_shell()


@pytest.mark.parametrize("name", list(CELLS))
@pytest.mark.parametrize("runtime", RUNTIMES)
def test_fblualib_test_passes(shells, runtime: str, name: str) -> None:
    shell = shells(runtime)
    shell.run_cell_magic("lua", "", CELLS[name])  # a failed assert raises LuaRuntimeError


def test_the_harness_asserts_fail_on_differences(shells) -> None:
    shell = shells(RUNTIMES[0])
    failing = {
        "assertEquals({1, {2}}, {1, {3}})": "expected:",
        "assertEquals(1, '1')": "expected:",
        "assertTrue(false)": "expected: true",
        "assertFalse(1)": "expected: false",
    }
    for code, message in failing.items():
        with pytest.raises(Exception, match=message):
            shell.run_cell_magic("lua", "", code)
    shell.run_cell_magic("lua", "", "assertEquals({0.1 + 0.2, a = {}}, {0.3, a = {}})")
