"""Errors in `__gc`, `__index`, `__tostring` and other metamethods."""

from __future__ import annotations

from tests.fault_corpus import Group, fails, gives, python

HELPERS = python("helpers", "def raise_value(message):\n    raise ValueError(message)\n")

# `__gc` on tables is Lua 5.2+; LuaJIT and Lua 5.1 run it for userdata from newproxy.
WITH_GC = """\
local function with_gc(gc)
  if newproxy then
    local p = newproxy(true)
    getmetatable(p).__gc = gc
    return p
  end
  return setmetatable({{}}, {{__gc = gc}})
end
local garbage = with_gc({gc})
garbage = nil
collectgarbage()
collectgarbage()
return 'collected'
"""

COMMON = (
    gives("gc-error", WITH_GC.format(gc="function() error('gc boom') end"), "collected"),
    gives(
        "gc-python-error", WITH_GC.format(gc="function() py.raise_value('gc py') end"), "collected"
    ),
    gives("gc-resurrects", WITH_GC.format(gc="function(o) resurrected = o end"), "collected"),
    gives("gc-non-function", WITH_GC.format(gc="42"), "collected"),
    fails(
        "index-function-error",
        "local t = setmetatable({}, {__index = function(t, k) error('no field ' .. k) end})\n"
        "return t.missing",
        "no field missing",
    ),
    fails(
        "index-python-error",
        "local t = setmetatable({}, {__index = function(t, k) py.raise_value('no ' .. k) end})\n"
        "return t.missing",
        "ValueError: no missing",
    ),
    fails("index-is-number", "return setmetatable({}, {__index = 5}).x", "attempt to index"),
    fails(
        "newindex-error",
        "local t = setmetatable({}, {__newindex = function() error('read only table') end})\nt.x = 1",
        "read only table",
    ),
    fails(
        "tostring-error-in-tostring",
        "return tostring(setmetatable({}, {__tostring = function() error('ts boom') end}))",
        "ts boom",
    ),
    gives(
        "tostring-error-when-shown",
        "return setmetatable({}, {__tostring = function() error('ts boom') end})",
        "not shown",
    ),
    fails(
        "tostring-error-when-printed",
        "print(setmetatable({}, {__tostring = function() error('print boom') end}))",
        "print boom",
    ),
    fails(
        "tostring-python-error",
        "return tostring(setmetatable({}, {__tostring = function() py.raise_value('py ts') end}))",
        "py ts",
    ),
    gives(
        "tostring-returns-table-when-shown",
        "return setmetatable({}, {__tostring = function() return {} end})",
        "Lua table",
    ),
    fails(
        "call-error",
        "local t = setmetatable({}, {__call = function() error('call boom') end})\nt()",
        "call boom",
    ),
    fails("call-non-function", "local t = setmetatable({}, {__call = 5})\nt()", "attempt to call"),
    fails(
        "eq-error",
        "local mt = {__eq = function() error('eq boom') end}\n"
        "return setmetatable({}, mt) == setmetatable({}, mt)",
        "eq boom",
    ),
    fails(
        "lt-error",
        "local mt = {__lt = function() error('lt boom') end}\n"
        "return setmetatable({}, mt) < setmetatable({}, mt)",
        "lt boom",
    ),
    fails(
        "concat-error",
        "return setmetatable({}, {__concat = function() error('concat boom') end}) .. 'x'",
        "concat boom",
    ),
    fails(
        "add-error",
        "return setmetatable({}, {__add = function() error('add boom') end}) + 1",
        "add boom",
    ),
    fails(
        "pairs-error",
        # Lua 5.1 and LuaJIT ignore __pairs of a plain table, as ilupa now does there
        "local t = setmetatable({}, {__pairs = function() error('pairs boom') end})\n"
        "for k in pairs(t) do end\n"
        "if jit or _VERSION == 'Lua 5.1' then error('pairs boom: __pairs is ignored here') end",
        "pairs boom",
    ),
    fails(
        "strict-globals",
        "local mt = {__index = function(_, k) error('undefined global ' .. k, 2) end}\n"
        "setmetatable(_G, mt)\nlocal ok, e = pcall(function() return not_defined_global end)\n"
        "setmetatable(_G, nil)\nerror(e)",
        "undefined global not_defined_global",
    ),
    gives(
        "weak-table-cycle",
        "local weak = setmetatable({}, {__mode = 'k'})\nlocal a, b = {}, {}\n"
        "a.b, b.a = b, a\nweak[a] = b\na, b = nil, nil\ncollectgarbage()\nreturn next(weak) == nil",
    ),
    # IPython's display probed ~20 names on the value, running this __index with the
    # GIL held outside any cell run: no interrupt reply, no next execute
    gives(
        "cell-value-whose-index-loops",
        "return setmetatable({1, 2}, {__index = function() while true do end end})",
        "{1, 2}",
    ),
    gives(
        "cell-value-userdata-whose-index-loops",
        "local u = newproxy and newproxy(true) or setmetatable({}, {})\n"
        "getmetatable(u).__index = function() while true do end end\nreturn u",
    ),
    fails("metatable-of-python-object-locked", "setmetatable(py.kept_list, {})", "bad argument #1"),
)

GROUPS = (
    Group("metamethods-luajit21", COMMON, kernels=("ilupa",), runtime="luajit21", setup=(HELPERS,)),
    Group("metamethods-lua54", COMMON, kernels=("ilupa",), runtime="lua54", setup=(HELPERS,)),
)
