"""Coroutines: yields across Python calls, dead and self-resuming coroutines, metamethods."""

from __future__ import annotations

from tests.fault_corpus import Group, fails, gives, python

HELPERS = python(
    "helpers",
    "def call_lua(f, *args):\n    return f(*args)\nmake_list = list\n"
    "def raise_value(message):\n    raise ValueError(message)\n",
)

ENTRIES = (
    fails(
        "yield-across-python-call",
        "local co = coroutine.wrap(function() py.call_lua(coroutine.yield, 1) end)\nreturn co()",
        "yield across",
    ),
    gives(
        "resume-reports-yield-across-python",
        "local co = coroutine.create(function() py.call_lua(function() coroutine.yield(1) end) end)\n"
        "return coroutine.resume(co)",
        "yield across",
    ),
    fails("yield-outside-coroutine", "coroutine.yield(1)", "yield"),
    gives(
        "resume-dead-coroutine",
        "local co = coroutine.create(function() end)\ncoroutine.resume(co)\nreturn coroutine.resume(co)",
        "cannot resume dead coroutine",
    ),
    fails(
        "call-dead-wrap",
        "local co = coroutine.wrap(function() end)\nco()\nco()",
        "cannot resume dead coroutine",
    ),
    fails("error-inside-wrap", "coroutine.wrap(function() error('inside co') end)()", "inside co"),
    fails(
        "python-error-inside-wrap",
        "coroutine.wrap(function() py.raise_value('py in co') end)()",
        "py in co",
    ),
    gives(
        "resume-returns-python-error",
        "local ok, e = coroutine.resume(coroutine.create(function() py.raise_value('kept') end))\n"
        "return ok, tostring(e)",
        "kept",
    ),
    fails("python-iterates-lua-function", "return py.make_list(function() end)", "TypeError"),
    gives(
        "suspended-coroutine-left-in-global",
        "suspended_co = coroutine.create(function() coroutine.yield(1) end)\n"
        "return coroutine.resume(suspended_co)",
        "True",
    ),
    fails(
        "resume-from-python-callback",
        "local co = coroutine.create(function(x) coroutine.yield(x * 2) return 'done' end)\n"
        "return py.call_lua(coroutine.resume, co, 5)",
        "coroutine expected",
    ),
    gives(
        "coroutine-resumes-itself",
        "local co\nco = coroutine.create(function() return coroutine.resume(co) end)\n"
        "return coroutine.resume(co)",
        "cannot resume",
    ),
    fails("status-of-number", "coroutine.status(5)", "bad argument #1"),
    fails("wrap-python-callable", "coroutine.wrap(py.kept_function)", "bad argument #1"),
    gives(
        "many-coroutines",
        "local n = 0\nfor i = 1, 20000 do\n"
        "  local co = coroutine.wrap(function() coroutine.yield(i) end)\n  n = n + co()\nend\nreturn n",
        "200010000",
    ),
    fails(
        "error-with-table-in-coroutine",
        "coroutine.wrap(function() error({code = 7}) end)()",
        "table value",
    ),
    gives(
        "python-list-filled-by-coroutine",
        "local gen = coroutine.wrap(function() for i = 1, 3 do coroutine.yield(i) end end)\n"
        "fill = py.kept_list.__class__()\nfor i = 1, 3 do fill:append(gen()) end\nreturn #fill",
        "3",
    ),
    gives(
        "yield-in-python-iteration",
        "local co = coroutine.wrap(function()\n"
        "  for _, v in ipairs(py.kept_list) do coroutine.yield(v) end\nend)\n"
        "return co(), co(), co(), co()",
        "'two'",
    ),
    gives(
        "yield-inside-metamethod",
        "local co = coroutine.wrap(function()\n"
        "  local t = setmetatable({}, {__index = function(_, k) return coroutine.yield(k) end})\n"
        "  return t.field\nend)\nreturn co()",
        "field",
    ),
    gives(
        "error-through-pcall-in-coroutine",
        "return coroutine.wrap(function() return pcall(py.call_lua, error, 'co pcall') end)()",
        "co pcall",
    ),
)

GROUPS = (Group("coroutines", ENTRIES, kernels=("ilupa",), setup=(HELPERS,)),)
