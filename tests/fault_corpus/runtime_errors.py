"""Lua errors at run time: error values of every Lua type, levels, library misuse."""

from __future__ import annotations

from tests.fault_corpus import Group, fails, gives

ENTRIES = (
    fails("error-nil", "error(nil)", "error object is a nil value"),
    fails("error-no-argument", "error()", "error object is a nil value"),
    fails("error-table", "error({code = 1})", "error object is a table value"),
    fails(
        "error-table-with-tostring",
        "error(setmetatable({}, {__tostring = function() return 'custom message' end}))",
        "custom message",
    ),
    fails(
        "error-table-with-failing-tostring",
        "error(setmetatable({}, {__tostring = function() error('inner') end}))",
        "__tostring failed",
    ),
    fails("error-userdata-python-list", "error(py.kept_list)", "error object is a userdata value"),
    fails("error-userdata-python-dict", "error(lua_dict_ref)", "userdata value"),
    fails("error-function", "error(print)", "error object is a function value"),
    fails("error-lua-function", "error(lua_function)", "error object is a function value"),
    fails("error-true", "error(true)", "error object is a boolean value: true"),
    fails("error-false", "error(false)", "error object is a boolean value: false"),
    fails("error-integer", "error(42)", "42"),
    fails("error-float", "error(3.5)", "3.5"),
    fails("error-coroutine", "error(coroutine.create(print))", "error object is a thread value"),
    fails("error-level-0", "error('level zero', 0)", "LuaRuntimeError: level zero"),
    fails("error-level-1", "\nerror('level one', 1)", ":2: level one"),
    fails(
        "error-level-2",
        "local function check(x)\n  error('bad x', 2)\nend\ncheck(1)",
        ":4: bad x",
    ),
    fails(
        "error-level-3",
        "local function a() error('three up', 3) end\nlocal function b() a() end\nb()",
        ":3: three up",
    ),
    fails("error-level-past-stack", "error('far away', 50)", "far away"),
    fails("arithmetic-on-nil", "local x = nil\nreturn x + 1", "attempt to perform arithmetic"),
    fails("arithmetic-on-table", "return -{}", "attempt to perform arithmetic"),
    fails("call-undefined", "undefined_function_here()", "attempt to call"),
    fails("index-nil", "local t = nil\nreturn t.x", "attempt to index"),
    fails("concat-table", "return {} .. 'x'", "attempt to concatenate"),
    fails("concat-nil", "return 'x' .. nil", "attempt to concatenate"),
    fails("compare-tables", "return {} < {}", "attempt to compare"),
    fails("compare-number-string", "return 1 < 'x'", "attempt to compare"),
    fails("length-of-nil", "return #nil", "attempt to get length"),
    fails("string-rep-no-arguments", "string.rep()", "bad argument #1"),
    fails("tostring-no-arguments", "tostring()", "bad argument #1"),
    fails("setmetatable-number", "setmetatable(1, {})", "bad argument #1"),
    fails("method-on-string", "('x'):no_such_method()", "attempt to call"),
    fails("math-floor-string", "math.floor('a')", "bad argument #1"),
    fails("assert-false", "assert(false)", "assertion failed!"),
    fails("assert-message", "assert(nil, 'custom assert')", "custom assert"),
    fails("assert-table-message", "assert(false, {1})", "error object is a table value"),
    fails(
        "rethrown-after-pcall",
        "local ok, e = pcall(error, 'first')\nerror(e .. ' rethrown')",
        "first rethrown",
    ),
    gives(
        "xpcall-handler-fails",
        "return xpcall(function() error('a') end, function() error('b') end)",
        "False",
    ),
    fails("format-bad-argument", "string.format('%d', 'x')", "bad argument #2"),
    fails("table-concat-table", "table.concat({{}})", "invalid value"),
    fails("table-insert-wrong-count", "table.insert({}, 1, 2, 3)", "wrong number of arguments"),
    fails("select-negative", "select(-5, 1)", "bad argument #1"),
    fails("string-char-out-of-range", "string.char(256)", "bad argument #1"),
    fails(
        "protected-metatable",
        "local t = setmetatable({}, {__metatable = 'locked'})\nsetmetatable(t, {})",
        "cannot change a protected metatable",
    ),
    fails("rawset-number", "rawset(1, 1, 1)", "bad argument #1"),
    fails("next-invalid-key", "next({}, 'nokey')", "invalid key to 'next'"),
    fails("call-failed-load", "load('this is not lua')()", "attempt to call a nil value"),
    fails("require-missing", "require 'no_such_module_here'", "module 'no_such_module_here'"),
    fails("dofile-missing", "dofile('/nonexistent/file.lua')", "/nonexistent/file.lua"),
    gives("gsub-lone-paren-on-luajit", "return string.gsub('x', '(', '')", "('x', 2)"),
    fails("find-malformed-pattern", "string.find('x', '[a')", "malformed pattern"),
    fails("resume-number", "coroutine.resume(42)", "bad argument #1"),
    fails("table-index-nil", "local t = {}\nt[nil] = 1", "index is nil"),
    fails("table-index-nan", "local t = {}\nt[0/0] = 1", "NaN"),
    fails(
        "unpack-too-many",
        "return select('#', (table.unpack or unpack)({}, 1, 1e8))",
        "too many results",
    ),
    gives("random-reversed-interval-on-luajit", "return math.random(2, 1)", "2"),
    fails("os-time-missing-fields", "os.time({})", "field 'day' missing"),
    gives("string-rep-negative", "return '[' .. string.rep('x', -1) .. ']'", "'[]'"),
    fails(
        "error-after-partial-work", "partial_work = 1\nerror('after partial work')", "after partial"
    ),
    gives("partial-work-kept", "return partial_work", "1"),
    gives("pcall-catches-everything", "return pcall(error, {1})", "False"),
    fails(
        "error-inside-nested-functions",
        "local function a() local x = nil; return x.y end\n"
        "local function b() return a() + 1 end\nreturn b()",
        "attempt to index",
    ),
)

GROUPS = (Group("runtime-errors", ENTRIES),)
