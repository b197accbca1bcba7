-- Gives Python objects Lua manners by extending lupa's own metatable for
-- them (the registry's POBJECT), so no wrapper stands between Lua and the
-- object: a Python object that goes into Lua comes back as the same object.
--
-- Python does the work (ilupa/proxy/manners.py), including turning numpy
-- arrays into array views on the way in; this file routes each metamethod
-- but __index there (lupa's C __index reaches Python directly, see below)
-- and turns views back into their arrays on the way out. `pairs` and `ipairs` are
-- replaced by versions that honour __pairs/__ipairs on every Lua version
-- (Lua 5.1 and LuaJIT ignore them otherwise, and Lua 5.3+ `ipairs` would
-- start a Python sequence at 1).
local ops = (...).operations
local raw_getmetatable, rawequal = debug.getmetatable, rawequal
local type, getmetatable, rawget, select, unpack_ =
  type, getmetatable, rawget, select, table.unpack or unpack
local raw_pairs, raw_ipairs = pairs, ipairs

local POBJECT = debug.getregistry().POBJECT
local view_marker = {}  -- set by array views: metatable[view_marker] = true
-- set by ilupa's other Lua objects whose `pairs`/`ipairs` manners count
-- (frames/text_columns.lua): metatable[iteration_marker] = true
local iteration_marker = {}
-- set by fb_python.lua: metatable[box_marker] = a function giving what a
-- reference holds (ilupa/proxy/fb_python.py's Reference, which Python unwraps)
local box_marker = {}

-- lupa's own call metamethod: ilupa's operations are Python callables too,
-- and calling them through the patched __call would recurse. Each metamethod
-- below calls it once, with no Lua function in between (a vararg wrapper per
-- operation cost a closure call and a vararg copy on every access).
local raw_call = POBJECT.__call
-- lupa's own C assignment, before the one below replaces it: with no attribute
-- setter it assigns items (`obj[key] = value`) of objects with __getitem__,
-- in C; array views write numpy elements through it (array_views.lua).
local raw_newindex = POBJECT.__newindex
local function direct(fn)
  return function(...) return raw_call(fn, ...) end
end

local newindex, call, length, binary = ops.newindex, ops.call, ops.length, ops.binary
local call_1, call_2 = ops.call_1, ops.call_2
local unary, compare = ops.unary, ops.compare
local pairs_of, ipairs_of, step = ops.pairs_of, ops.ipairs_of, ops.step

-- Set by ffi_references.lua on LuaJIT: an FFI reference goes back as its object.
local outgoing_cdata = nil

-- A value Lua hands to Python: views go back as the array they show, FFI
-- references (cdata, LuaJIT) and fb.python's references as their objects. Callers skip numbers, strings
-- and the like: only tables, userdata and cdata can need turning.
local function outgoing(value)
  local kind = type(value)
  if kind == "table" or kind == "userdata" then
    local mt = getmetatable(value)
    if type(mt) == "table" then
      if rawget(mt, view_marker) then return value.array end
      local box = rawget(mt, box_marker)
      if box then return box(value) end
    end
  elseif kind == "cdata" and outgoing_cdata then
    return outgoing_cdata(value)
  end
  return value
end

local function outgoing_all(n, ...)
  if n == 0 then return end
  local args = {...}
  for i = 1, n do
    args[i] = outgoing(args[i])
  end
  return unpack_(args, 1, n)
end

-- Reads (`obj[key]`, `obj.name`) keep lupa's own C __index: the session's
-- runtime is made with ilupa's `index` as lupa's attribute getter
-- (Manners.lupa_attribute_handlers), so a read is one call into Python.
-- A read returns what Python gives, never a view going out: nothing to turn.

POBJECT.__newindex = function(obj, key, value)
  local kind = type(value)
  if kind == "table" or kind == "userdata" or kind == "cdata" then
    value = outgoing(value)
  end
  raw_call(newindex, obj, key, value)
end

-- Up to three arguments pass without building a table; one or two (most
-- calls, `obj:method(x)` included) go to Python functions that take them as
-- they are, with no count and no argument tuple.
POBJECT.__call = function(f, ...)
  local n = select("#", ...)
  if n == 1 then
    local a = ...
    local kind = type(a)
    if kind == "table" or kind == "userdata" or kind == "cdata" then a = outgoing(a) end
    return raw_call(call_1, f, a)
  elseif n == 2 then
    local a, b = ...
    local kind = type(a)
    if kind == "table" or kind == "userdata" or kind == "cdata" then a = outgoing(a) end
    kind = type(b)
    if kind == "table" or kind == "userdata" or kind == "cdata" then b = outgoing(b) end
    return raw_call(call_2, f, a, b)
  elseif n == 0 then
    return raw_call(call, f, 0)
  elseif n == 3 then
    local a, b, c = ...
    return raw_call(call, f, 3, outgoing(a), outgoing(b), outgoing(c))
  end
  return raw_call(call, f, n, outgoing_all(n, ...))
end

POBJECT.__len = function(obj) return raw_call(length, obj) end
POBJECT.__unm = function(a) return raw_call(unary, "neg", a) end
POBJECT.__eq = function(a, b) return raw_call(compare, "eq", a, b) end
POBJECT.__lt = function(a, b) return raw_call(compare, "lt", outgoing(a), outgoing(b)) end
POBJECT.__le = function(a, b) return raw_call(compare, "le", outgoing(a), outgoing(b)) end
POBJECT.__concat = function(a, b)
  return raw_call(binary, "concat", outgoing(a), outgoing(b))
end

for event, op in raw_pairs({
  __add = "add", __sub = "sub", __mul = "mul", __div = "truediv", __mod = "mod",
  __pow = "pow", __idiv = "floordiv", __band = "and_", __bor = "or_", __bxor = "xor",
  __shl = "lshift", __shr = "rshift",
}) do
  POBJECT[event] = function(a, b) return raw_call(binary, op, outgoing(a), outgoing(b)) end
end
POBJECT.__bnot = function(a) return raw_call(unary, "invert", a) end

local function python_iterator(iterator)
  return function()
    return raw_call(step, iterator)
  end
end

POBJECT.__pairs = function(obj) return python_iterator(raw_call(pairs_of, obj)), obj, nil end
-- A column of a data frame or an Arrow array without nulls comes back as the
-- Lua column that reads its memory (ilupa/frames): its own ipairs walks it.
POBJECT.__ipairs = function(obj)
  local steps, column = raw_call(ipairs_of, obj)
  if column ~= nil then return raw_getmetatable(column).__ipairs(column) end
  return python_iterator(steps), obj, 0
end

-- Python objects, their array views and the `py` namespace have their
-- `pairs`/`ipairs` manners on every Lua version; a plain Lua table sees the
-- runtime's own rules (Lua 5.1 and LuaJIT ignore __pairs and __ipairs, Lua
-- 5.3+ ignores __ipairs). So `pairs` is replaced only where the runtime
-- ignores __pairs, `ipairs` where it ignores __ipairs (Lua 5.2 honours both).
-- A call the builtin refuses goes to the builtin inside `raise`, so that its
-- error names the caller's line and 'pairs', not this file.
local raise = debug.getregistry()["ilupa.builtin_errors"].raise
local namespace_py = rawget(_G, "py")
-- Which of them this runtime honours: a table with one item whose __pairs
-- and __ipairs iterate nothing.
local empty = { __pairs = function() return next, {}, nil end,
  __ipairs = function() return next, {}, nil end }
local honours_pairs, honours_ipairs = true, true
for _ in raw_pairs(setmetatable({ 1 }, empty)) do honours_pairs = false end
for _ in raw_ipairs(setmetatable({ 1 }, empty)) do honours_ipairs = false end
-- Lua 5.1 and LuaJIT refuse anything but a table; Lua 5.3+ refuses only no value.
local strict = rawget(_G, "jit") ~= nil or _VERSION == "Lua 5.1"

local function handler(value, event)
  local mt = raw_getmetatable(value)
  if mt ~= nil and (rawequal(mt, POBJECT) or rawget(mt, view_marker)
      or rawget(mt, iteration_marker) or rawequal(value, namespace_py)) then
    return rawget(mt, event)
  end
end

if not honours_pairs then
  function pairs(...)
    local value = ...
    local h = handler(value, "__pairs")
    if h then return h(value) end
    if type(value) ~= "table" and (strict or select("#", ...) == 0) then
      local f, s, i = raise(raw_pairs, ...)
      return f, s, i
    end
    return raw_pairs(value)
  end
end

if not honours_ipairs then
  function ipairs(...)
    local value = ...
    local h = handler(value, "__ipairs")
    if h then return h(value) end
    if type(value) ~= "table" and (strict or select("#", ...) == 0) then
      local f, s, i = raise(raw_ipairs, ...)
      return f, s, i
    end
    return raw_ipairs(value)
  end
end

return {
  POBJECT = POBJECT, view_marker = view_marker, box_marker = box_marker, outgoing = outgoing,
  iteration_marker = iteration_marker, direct = direct, raw_call = raw_call,
  raw_newindex = raw_newindex,
  set_outgoing_cdata = function(f) outgoing_cdata = f end,
}
