"""Errors crossing the Lua/Python border, nested several calls deep, and recursion."""

from __future__ import annotations

from tests.fault_corpus import Group, fails, gives, python

HELPERS = python(
    "helpers",
    """\
import sys
def raise_value(message):
    raise ValueError(message)
def call_lua(f, *args):
    return f(*args)
def exit_now():
    raise SystemExit(3)
def python_recursion(n):
    return python_recursion(n + 1)
class BadMessage(Exception):
    def __str__(self):
        raise RuntimeError('no message either')
def raise_bad_message():
    raise BadMessage()
class Boom:
    def __getattr__(self, name):
        raise AttributeError(f'Boom has no {name}')
    def __len__(self):
        raise RuntimeError('len exploded')
    def __str__(self):
        raise RuntimeError('str exploded')
    def __call__(self, *args):
        raise KeyError('called Boom')
    def __iter__(self):
        raise RuntimeError('iter exploded')
boom = Boom()
def deep_python_list(depth):
    outer = current = []
    for _ in range(depth):
        current.append([])
        current = current[0]
    return outer
deep_list = deep_python_list(5000)
""",
)

DIVE = """\
local function dive(n)
  if n == 0 then {bottom} end
  return py.call_lua(dive, n - 1)
end
return dive({depth})
"""

CROSSING = (
    fails("python-exception", "py.raise_value('from python')", "ValueError: from python"),
    gives("pcall-catches-python-exception", "return pcall(py.raise_value, 'caught')", "False"),
    fails(
        "python-lua-python",
        "py.call_lua(function() return py.call_lua(function() py.raise_value('three deep') end) end)",
        "three deep",
    ),
    fails(
        "lua-error-in-callback",
        "py.call_lua(function() error('lua inside python') end)",
        "lua inside python",
    ),
    fails("lua-error-called-by-python", "py.call_lua(error, 'via python')", "via python"),
    fails(
        "lua-table-error-in-callback",
        "py.call_lua(error, {1, 2})",
        "error object is a table value",  # ilupa's runner describes it (lupa alone lost it)
    ),
    fails(
        "lua-error-five-deep",
        DIVE.format(bottom="error('bottom of five')", depth=5),
        "bottom of five",
    ),
    fails(
        "python-error-five-deep",
        DIVE.format(bottom="py.raise_value('python bottom')", depth=5),
        "ValueError: python bottom",
    ),
    fails(
        "lua-error-forty-deep", DIVE.format(bottom="error('deep bottom')", depth=40), "deep bottom"
    ),
    gives(
        "pcall-in-the-middle",
        "local ok, e = pcall(py.call_lua, function() error('caught deep') end)\nreturn ok, tostring(e)",
        "caught deep",
    ),
    gives("python-attribute-error-reads-nil", "return py.boom.anything == nil", "True"),
    fails("python-len-error", "return #py.boom", "len exploded"),
    fails("python-str-error", "return tostring(py.boom)", "str exploded"),
    fails("python-call-error", "py.boom(1)", "called Boom"),
    gives(
        "python-iter-error-attributes-listed",
        "for k in pairs(py.boom) do end\nreturn 'listed'",
        "listed",
    ),
    fails("missing-argument", "py.kept_function()", "missing 1 required positional argument"),
    fails("too-many-arguments", "py.kept_function(1, 2, 3)", "positional argument"),
    fails("python-type-error", "py.kept_function(nil)", "unsupported operand"),
    gives("missing-list-index-reads-nil", "return py.kept_list[10] == nil", "True"),
    fails("list-assign-out-of-range", "py.kept_list[10] = 1", "IndexError"),
    gives("missing-dict-key-reads-nil", "return py.kept_dict.missing == nil", "True"),
    # pairs stopped silently at a None key (nil in Lua): every item, None as a stand-in
    python("dict-with-a-none-key", "none_keyed = {'a': 1, None: 2, 'b': 3}"),
    gives(
        "pairs-over-a-none-key",
        "local s = {} for k, v in pairs(py.none_keyed) do s[#s + 1] = tostring(k) .. v end\n"
        "return table.concat(s, ' ')",
        "a1 None2 b3",
    ),
    # showed ilupa's frames (cell_run.py, contextlib, manners.py); now message and Lua's
    # traceback (tests/test_errors.py checks the frames)
    fails("float-index-on-a-list", "return py.kept_list[1.5]", "list indices must be integers"),
    fails("unhashable-key", "return py.kept_dict[py.kept_list]", "unhashable"),
    fails("call-a-number", "py.kept_number()", "attempt to call"),
    fails("call-missing-python-name", "py.nonexistent_variable()", "(a nil value)"),
    fails("exception-with-failing-str", "py.raise_bad_message()", "no message either"),
    fails("system-exit-from-python", "py.exit_now()", "SystemExit"),
    python("python-raises-in-python-cell", "raise_value('plain python')", error="plain python"),
    python(
        "python-calls-lua-that-fails",
        "get_ipython().run_cell_magic('lua', '', 'error(\"nested cell\")')",
        error="nested cell",
    ),
    python(
        "line-magic-error", "value = %lua error('line magic failed')", error="line magic failed"
    ),
)

RECURSION = (
    fails(
        "lua-stack-overflow",
        "local function r(n) return 1 + r(n + 1) end\nreturn r(1)",
        "stack overflow",
    ),
    gives(
        "lua-recursion-10000",
        "local function r(n) if n == 0 then return 0 end return 1 + r(n - 1) end\nreturn r(10000)",
        "10000",
    ),
    gives(
        "pcall-at-every-level",
        "local function r() pcall(r) end\nr()\nreturn 'survived'",
        "survived",
    ),
    fails(
        "gsub-callback-recursion",
        "local function f(s) return (s:gsub('.', f)) end\nf('ab')",
        "C stack overflow",
    ),
    gives(
        "gsub-callback-errors-caught-often",
        "local n = 0\nfor i = 1, 500 do\n  pcall(string.gsub, 'abc', '.', function() n = n + 1 error('x') end)\nend\n"
        "return n, ('abc'):gsub('.', string.upper)",
        "(500, 'ABC', 3)",
    ),
    fails(
        "tostring-recursion",
        "local t = setmetatable({}, {__tostring = function(s) return tostring(s) end})\nreturn tostring(t)",
        "C stack overflow",
    ),
    gives(
        "tostring-errors-caught-often",
        "local bad = setmetatable({}, {__tostring = function() error('no') end})\n"
        "for i = 1, 500 do pcall(tostring, bad) end\n"
        "return tostring(setmetatable({}, {__tostring = function() return 'fine' end}))",
        "'fine'",
    ),
    fails(
        "index-function-recursion",
        "local t\nt = setmetatable({}, {__index = function(s, k) return s[k] end})\nreturn t.x",
        "overflow",
    ),
    fails(
        "index-table-loop",
        "local t = setmetatable({}, {})\ngetmetatable(t).__index = t\nreturn t.x",
        "loop",
    ),
    fails("python-recursion-from-lua", "return py.python_recursion(1)", "RecursionError"),
    fails(
        "across-both-unbounded",
        "local function r() return py.call_lua(r) end\nreturn r()",
        "RecursionError",
    ),
    gives(
        "across-both-bounded",
        "local function r(n) if n == 0 then return 'down' end return py.call_lua(r, n - 1) end\nreturn r(100)",
        "down",
    ),
    fails(
        "coroutine-recursion",
        "local function r() return coroutine.wrap(r)() end\nreturn r()",
        "C stack overflow",
    ),
    fails(
        "coroutine-resume-recursion",
        "local function r()\n  local ok, e = coroutine.resume(coroutine.create(r))\n  assert(ok, e)\nend\nr()",
        "C stack overflow",
    ),
    gives(
        "deep-lua-table-shown",
        "local t = {}\nlocal c = t\nfor i = 1, 1e5 do c[1] = {} c = c[1] end\nreturn t",
        "{...}",
    ),
    gives("deep-python-list-length", "return #py.deep_list", "1"),
    fails("deep-python-list-copied", "return ilupa.copy(py.deep_list)", "nested too deeply"),
    python(
        "deep-lua-table-to-python",
        "%lua deep_t = {} for i = 1, 2e4 do deep_t = {deep_t} end\nx = %lua ilupa.topython(deep_t)",
        error="nested too deeply",
    ),
)

GROUPS = (
    Group("crossing", CROSSING, setup=(HELPERS,)),
    Group("recursion", RECURSION, kernels=("ilupa",), setup=(HELPERS,)),
)
