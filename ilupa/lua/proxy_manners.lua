-- Gives Python objects Lua manners by extending lupa's own metatable for
-- them (the registry's POBJECT), so no wrapper stands between Lua and the
-- object: a Python object that goes into Lua comes back as the same object.
--
-- Python does the work (ilupa/proxy/references.py), including turning numpy
-- arrays into array views on the way in; this file routes each metamethod
-- there and turns views back into their arrays on the way out. `pairs` and `ipairs` are
-- replaced by versions that honour __pairs/__ipairs on every Lua version
-- (Lua 5.1 and LuaJIT ignore them otherwise, and Lua 5.3+ `ipairs` would
-- start a Python sequence at 1).
local ops = ...
local type, getmetatable, rawget, select, unpack_ =
  type, getmetatable, rawget, select, table.unpack or unpack
local raw_pairs, raw_ipairs = pairs, ipairs

local POBJECT = debug.getregistry().POBJECT
local view_marker = {}  -- set by array views: metatable[view_marker] = true

-- lupa's own call metamethod: ilupa's operations are Python callables too,
-- and calling them through the patched __call would recurse.
local raw_call = POBJECT.__call
local function direct(fn)
  return function(...) return raw_call(fn, ...) end
end

local index, newindex, call = direct(ops.index), direct(ops.newindex), direct(ops.call)
local length, binary = direct(ops.length), direct(ops.binary)
local unary, compare = direct(ops.unary), direct(ops.compare)
local pairs_of, ipairs_of, step = direct(ops.pairs_of), direct(ops.ipairs_of), direct(ops.step)

-- Set by ffi_references.lua on LuaJIT: an FFI reference goes back as its object.
local outgoing_cdata = nil

-- A value Lua hands to Python: views go back as the array they show.
local function outgoing(value)
  local kind = type(value)
  if kind == "table" or kind == "userdata" then
    local mt = getmetatable(value)
    if type(mt) == "table" and rawget(mt, view_marker) then
      return value.array
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

POBJECT.__index = function(obj, key)
  return index(obj, key)
end

POBJECT.__newindex = function(obj, key, value)
  newindex(obj, key, outgoing(value))
end

POBJECT.__call = function(f, ...)
  local n = select("#", ...)
  return call(f, n, outgoing_all(n, ...))
end

POBJECT.__len = function(obj) return length(obj) end
POBJECT.__unm = function(a) return unary("neg", a) end
POBJECT.__eq = function(a, b) return compare("eq", a, b) end
POBJECT.__lt = function(a, b) return compare("lt", outgoing(a), outgoing(b)) end
POBJECT.__le = function(a, b) return compare("le", outgoing(a), outgoing(b)) end
POBJECT.__concat = function(a, b) return binary("concat", outgoing(a), outgoing(b)) end

for event, op in raw_pairs({
  __add = "add", __sub = "sub", __mul = "mul", __div = "truediv", __mod = "mod",
  __pow = "pow", __idiv = "floordiv", __band = "and_", __bor = "or_", __bxor = "xor",
  __shl = "lshift", __shr = "rshift",
}) do
  POBJECT[event] = function(a, b) return binary(op, outgoing(a), outgoing(b)) end
end
POBJECT.__bnot = function(a) return unary("invert", a) end

local function python_iterator(iterator)
  return function()
    return step(iterator)
  end
end

POBJECT.__pairs = function(obj) return python_iterator(pairs_of(obj)), obj, nil end
POBJECT.__ipairs = function(obj) return python_iterator(ipairs_of(obj)), obj, 0 end

local function handler(value, event)
  local mt = getmetatable(value)
  if type(mt) == "table" then
    return rawget(mt, event)
  end
end

function pairs(value)
  local h = handler(value, "__pairs")
  if h then return h(value) end
  return raw_pairs(value)
end

function ipairs(value)
  local h = handler(value, "__ipairs")
  if h then return h(value) end
  return raw_ipairs(value)
end

return {
  POBJECT = POBJECT, view_marker = view_marker, outgoing = outgoing, direct = direct,
  set_outgoing_cdata = function(f) outgoing_cdata = f end,
}
