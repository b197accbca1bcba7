-- Array views: a numpy array seen from Lua over the array's own memory.
-- Indexing follows the owner (Python): v[0] is the first element, v[i][j]
-- indexes a 2-d array, `#v` is the first dimension, ipairs yields 1..n with
-- v[0].. values. The view's own fields are shape, ndim, dtype, readonly, array
-- and copy; any other string key is the ndarray's (`v:sum()`, `v.T`,
-- `v:reshape(2, 5)`), so its internal fields have names numpy does not use. Out-of-range indexes and writes to read-only arrays are Lua
-- errors. The view holds the array (v.array), so the memory stays alive for
-- as long as Lua can reach the view.
--
-- On LuaJIT elements are read through an FFI pointer. Elsewhere (or for
-- layouts FFI cannot address) Python serves them, each read or write one C
-- call into Python with no Python frame of ilupa's: a read calls the C
-- `element_at` Python hands over (a memoryview's item read, or numpy's
-- `item`) with lupa's own call; a write is lupa's own C item assignment on
-- the ndarray (numpy checks the writeable flag and converts); ipairs walks
-- the memoryview with lupa's C iterator. A 1-d view gets its own metatable
-- whose metamethods close over its fields, so a read looks up nothing.
local given = ...
local read_python, write_python, view_marker = given.read_python, given.write_python, given.view_marker
local raw_call, raw_newindex, enumerate = given.raw_call, given.raw_newindex, given.enumerate
local setmetatable, type, error, floor, tostring, select, rawget =
  setmetatable, type, error, math.floor, tostring, select, rawget
local format, concat = string.format, table.concat
-- Lua 5.3+: `v[2.0]`, `v[4/2]` name the element 2, as they name t[2] of a table;
-- numpy takes only integers, so a whole float becomes one (5.1/LuaJIT: no-op).
local tointeger = math.tointeger or function(i) return i end

local has_ffi, ffi = pcall(require, "ffi")
if not (jit and has_ffi) then
  ffi = nil
end
local band = ffi and require("bit").band
local WRITEABLE = 0x0400 -- NPY_ARRAY_WRITEABLE in the array's flags

-- True while numpy lets the array be written: its flags are read at each FFI
-- write (Python reads them itself elsewhere), so `a.flags.writeable = False`
-- stops a view made before it too.
local function writeable(v)
  local flags = rawget(v, "flags_at")
  return flags == nil or band(flags[0], WRITEABLE) ~= 0
end

local View = {}
View.__index = View  -- replaced below; methods live in `methods`
local methods = {}

-- Raises `message` at the first caller outside this file (and outside the
-- tail-call frames Lua 5.1 keeps), so the error names the user's line.
local getinfo = debug.getinfo
local SOURCE = getinfo(1, "S").source
local function raise(message)
  local level = 2
  while true do
    local info = getinfo(level, "S")
    if info == nil or (info.source ~= SOURCE and info.what ~= "tail") then break end
    level = level + 1
  end
  error(message, level)
end

-- The index as an integer (a whole float too, as Lua tables take it), or an error.
local function check_index(v, i)
  if type(i) ~= "number" or i ~= floor(i) then
    raise(format("array index must be an integer, got %s", tostring(i)))
  end
  local n = v.n
  if i < 0 or i >= n then
    raise(format("array index %s out of range [0, %d)", tostring(i), n))
  end
  return tointeger(i)
end

-- An integer element takes a number truncated toward zero, as numpy does; a
-- number that does not fit is an error on every runtime (through FFI it would
-- wrap silently). It fits when it lies strictly between the bounds (NaN
-- lies nowhere).
local INTEGER_BOUNDS = {
  int8 = {-129, 128}, int16 = {-32769, 32768}, int32 = {-2^31 - 1, 2^31},
  int64 = {-2^63 - 2048, 2^63},  -- the double just below -2^63
  uint8 = {-1, 256}, uint16 = {-1, 65536}, uint32 = {-1, 2^32}, uint64 = {-1, 2^64},
}

local function check_fits(v, value)
  local bounds = INTEGER_BOUNDS[v.dtype]
  if bounds and not (value > bounds[1] and value < bounds[2]) then
    raise(format("%s does not fit in an element of this %s array", tostring(value), v.dtype))
  end
end

-- The float elements a number can overflow (Python's path warns at the cell
-- line, ilupa/proxy/arrays.py's ElementWriter): a write past the largest
-- finite value takes it. float64 holds every Lua number.
local FLOAT_LARGEST = { float32 = 2^128 - 2^104, float16 = 65504 }

local mtype = math.type
local HUGE = math.huge

-- A 1-d view Python serves (no FFI pointer): its read, write and ipairs
-- closures. The checks are the cheapest exact ones for the runtime: on Lua
-- 5.3+ an integer key (a whole float such as v[2.0] takes the general path,
-- which converts it), elsewhere a whole number. Anything else, and any key out
-- of range, goes to `other(v, key)`: the general path (View), which names
-- the error, after the view's own fields for a handle.
local function served_index(v, element_at, n, other)
  if mtype then
    return function(_, i)
      if mtype(i) == "integer" and i >= 0 and i < n then return raw_call(element_at, i) end
      return other(v, i)
    end
  end
  return function(_, i)
    if type(i) == "number" and i >= 0 and i < n and i % 1 == 0 then
      return raw_call(element_at, i)
    end
    return other(v, i)
  end
end

-- Writes of a number that fits (or, to a bool view, a number or boolean) go
-- to numpy's own item assignment (lupa's C __newindex: ilupa sets no
-- attribute setter); read-only views, values out of the element's range and
-- bad keys take the general path.
local function served_newindex(v, n)
  local dtype, array = v.dtype, v.array
  if v.readonly then
    return function(_, k, value) return View.__newindex(v, k, value) end
  end
  if dtype == "bool" then  -- numpy's truth of a number or boolean, as Python's path
    return function(_, i, value)
      local kind = type(value)
      if (kind == "boolean" or kind == "number") and type(i) == "number" and i >= 0
          and i < n and i % 1 == 0 then
        raw_newindex(array, tointeger(i), value)
        return
      end
      return View.__newindex(v, i, value)
    end
  end
  local low, high = -HUGE, HUGE
  local bounds = INTEGER_BOUNDS[dtype]
  if bounds then
    low, high = bounds[1], bounds[2]
  elseif FLOAT_LARGEST[dtype] then
    -- inclusive: the largest value itself is finite; NaN takes the general path
    low, high = -FLOAT_LARGEST[dtype] * (1 + 2^-52), FLOAT_LARGEST[dtype] * (1 + 2^-52)
  end
  if mtype then
    return function(_, i, value)
      if mtype(i) == "integer" and i >= 0 and i < n and type(value) == "number"
          and value > low and value < high then
        raw_newindex(array, i, value)
        return
      end
      return View.__newindex(v, i, value)
    end
  end
  return function(_, i, value)
    if type(i) == "number" and i >= 0 and i < n and i % 1 == 0 and type(value) == "number"
        and value > low and value < high then
      raw_newindex(array, i, value)
      return
    end
    return View.__newindex(v, i, value)
  end
end

-- ipairs over a view Python serves: lupa's C iterator over the memoryview
-- (1..n with v[0]..), else one call of `element_at` a step.
local function served_ipairs(v, element_at, n)
  local memory = rawget(v, "memory")
  if memory then
    return function() return enumerate(memory, 1) end
  end
  return function(handle)
    local i = 0
    return function()
      if i < n then
        i = i + 1
        return i, raw_call(element_at, i - 1)
      end
    end, handle, 0
  end
end

-- The view's own fields, else View.__index as a tail call, so that its
-- errors name the line of the code that indexed the handle.
local function forward_index(v, k)
  local field = rawget(v, k)
  if field ~= nil then return field end
  return View.__index(v, k)
end

-- The metamethods every view shares, as closures over `v` (a handle's
-- metatable, or a served 1-d view's own).
local function fill_metatable(mt, v)
  mt.__len = function() return v.n end
  mt.__pairs = function() return View.__pairs(v) end
  mt.__tostring = function() return View.__tostring(v) end
  mt[view_marker] = true
  return mt
end

-- Lua 5.1 and LuaJIT ignore __len on tables, so there a view is a userdata
-- handle (newproxy) forwarding to the view table; elsewhere it is the table.
local newproxy = newproxy
local finish

if newproxy and not (#setmetatable({}, {__len = function() return 1 end}) == 1) then
  finish = function(v)
    local handle = newproxy(true)
    local mt = fill_metatable(getmetatable(handle), v)
    local ptr, n, offset, stride = v.ptr, v.n, v.offset, v.stride
    local element_at = rawget(v, "element_at")
    if ptr and v.ndim == 1 and v.kind == "number" then
      -- the path LuaJIT compiles for loops: bounds-checked, straight to memory
      mt.__index = function(_, i)
        if type(i) == "number" and i >= 0 and i < n and floor(i) == i then
          return ptr[offset + i * stride]
        end
        return forward_index(v, i)
      end
    elseif element_at then
      mt.__index = served_index(v, element_at, n, forward_index)
    else
      mt.__index = function(_, k) return forward_index(v, k) end
    end
    if ptr and v.ndim == 1 and v.kind == "number" and not v.readonly then
      local bounds = INTEGER_BOUNDS[v.dtype]
      local float = bounds == nil
      local low, high = bounds and bounds[1], bounds and bounds[2]
      local flags = rawget(v, "flags_at")
      mt.__newindex = function(_, i, value)
        if type(i) == "number" and type(value) == "number" and i >= 0 and i < n
            and floor(i) == i and (float or (value > low and value < high))
            and (flags == nil or band(flags[0], WRITEABLE) ~= 0) then
          ptr[offset + i * stride] = value
          return
        end
        return View.__newindex(v, i, value)
      end
    elseif element_at then
      mt.__newindex = served_newindex(v, n)
    else
      mt.__newindex = function(_, k, value) return View.__newindex(v, k, value) end
    end
    if element_at then
      mt.__ipairs = served_ipairs(v, element_at, n)
    else
      mt.__ipairs = function() return View.__ipairs(v) end
    end
    return handle
  end
else
  finish = function(v)
    local element_at = rawget(v, "element_at")
    if not element_at then return v end
    local n = v.n
    local mt = fill_metatable({}, v)
    mt.__index = served_index(v, element_at, n, View.__index)
    mt.__newindex = served_newindex(v, n)
    mt.__ipairs = served_ipairs(v, element_at, n)
    return setmetatable(v, mt)
  end
end

local function subview(v, i)
  local shape, steps = {}, {}
  for d = 2, v.ndim do
    shape[d - 1] = v.shape[d]
    steps[d - 1] = v.steps[d]
  end
  local path = {}
  for k = 1, #v.path do path[k] = v.path[k] end
  path[#path + 1] = i
  return finish(setmetatable({
    array = v.array, ptr = v.ptr, flags_at = rawget(v, "flags_at"), kind = v.kind, dtype = v.dtype,
    readonly = v.readonly,
    ndim = v.ndim - 1, n = shape[1], shape = shape, steps = steps,
    offset = v.offset + i * v.steps[1], stride = steps[1], path = path,
  }, View))
end

local unpack_ = table.unpack or unpack

local function read(v, i)
  local ptr = v.ptr
  if ptr then
    local value = ptr[v.offset + i * v.stride]
    local kind = v.kind
    if kind == "bool" then return value ~= 0 end
    if kind == "wide" then return tonumber(value) end
    return value
  end
  local element_at = rawget(v, "element_at")
  if element_at then return raw_call(element_at, i) end
  local path = v.path
  if #path == 0 then return read_python(v.array, i) end
  path[#path + 1] = i
  local value = read_python(v.array, unpack_(path))
  path[#path] = nil
  return value
end

View.__index = function(v, i)
  local method = methods[i]
  if method ~= nil then return method end
  if type(i) == "string" then
    -- not one of the view's own fields: the ndarray's attribute or method, as
    -- Python reads it (`v:sum()`, `v.T`; arrays come back as views)
    return v.array[i]
  end
  i = check_index(v, i)
  if v.ndim > 1 then return subview(v, i) end
  return read(v, i)
end

View.__newindex = function(v, i, value)
  if v.readonly or (v.ptr and not writeable(v)) then
    raise("array view is read-only (the numpy array is not writeable)")
  end
  i = check_index(v, i)
  if v.ndim > 1 then
    raise("assign to an element: v[i][j] = x, not a whole row")
  end
  if type(value) ~= "number" and type(value) ~= "boolean" then
    raise(format("array element must be a number or boolean, got %s", type(value)))
  end
  if type(value) == "number" then check_fits(v, value) end
  local ptr = v.ptr
  if ptr then
    if v.kind == "bool" then
      value = (value and value ~= 0) and 1 or 0
    elseif type(value) == "boolean" then
      value = value and 1 or 0
    end
    ptr[v.offset + i * v.stride] = value
    return
  end
  local path = v.path
  path[#path + 1] = i
  write_python(v.array, value, unpack_(path))
  path[#path] = nil
end

View.__len = function(v) return v.n end

View.__ipairs = function(v)
  local i, n = 0, v.n
  return function()
    if i < n then
      i = i + 1
      return i, v[i - 1]
    end
  end, v, 0
end

View.__pairs = function(v)
  local i, n = -1, v.n
  return function()
    if i + 1 < n then
      i = i + 1
      return i, v[i]
    end
  end, v, nil
end

View.__tostring = function(v)
  local dims = {}
  for d = 1, v.ndim do dims[d] = tostring(v.shape[d]) end
  return format("array view (%s, shape (%s)%s)", v.dtype, concat(dims, ", "),
    v.readonly and ", read-only" or "")
end

View[view_marker] = true

function methods.copy(v)
  -- a Lua table copy of a 1-d view (v:copy())
  local t = {}
  for i = 0, v.n - 1 do t[i + 1] = v[i] end
  return t
end

local ctypes = {
  float64 = "double", float32 = "float", int8 = "int8_t", int16 = "int16_t",
  int32 = "int32_t", int64 = "int64_t", uint8 = "uint8_t", uint16 = "uint16_t",
  uint32 = "uint32_t", uint64 = "uint64_t", bool = "uint8_t",
}
local pointer_types = {}

local function pointer(dtype, address)
  local ctype = pointer_types[dtype]
  if ctype == nil then
    ctype = ffi.typeof(ctypes[dtype] .. " *")
    pointer_types[dtype] = ctype
  end
  return ffi.cast(ctype, address)
end

-- Build a view of `array` from Python's description of it (ilupa/proxy/arrays.py's
-- `view_layout`): `layout` names dtype, readonly, ndim, address (nil when
-- Python serves the elements), flags_address, and for a 1-d view Python serves
-- element_at (the C read of one element) and memory (the memoryview ipairs
-- walks, when there is one); then come the shape and the strides in elements.
local function new_view(array, layout, ...)
  local ndim, dtype, address = layout.ndim, layout.dtype, layout.address
  local shape, steps = {}, {}
  for d = 1, ndim do
    shape[d] = select(d, ...)
    steps[d] = select(ndim + d, ...)
  end
  local ptr, kind, flags = false, "number", nil
  if ffi and address then
    ptr = pointer(dtype, address)
    local flags_address = layout.flags_address
    if flags_address then flags = ffi.cast("int32_t *", flags_address) end
    if dtype == "bool" then kind = "bool"
    elseif dtype == "int64" or dtype == "uint64" then kind = "wide" end
  end
  local served = not ptr and ndim == 1
  return finish(setmetatable({
    array = array, ptr = ptr, kind = kind, dtype = dtype, readonly = layout.readonly,
    ndim = ndim, n = shape[1], shape = shape, steps = steps,
    offset = 0, stride = steps[1], path = {}, flags_at = flags,
    element_at = served and layout.element_at or nil, memory = served and layout.memory or nil,
  }, View))
end

-- Where the user's code is that Python code writing an element serves (called
-- from Python while a view's __newindex runs): the chunk and line of the first
-- Lua frame outside ilupa's layer (this file, the manners that call Python), for
-- a warning that names the cell line.
local find = string.find
local function user_place()
  local level = 2
  while true do
    local info = getinfo(level, "Sl")
    if info == nil then return nil end
    if info.what ~= "C" and info.what ~= "tail" and find(info.source, "=ilupa:", 1, true) ~= 1 then
      return info.short_src, info.currentline
    end
    level = level + 1
  end
end

return {new = new_view, uses_ffi = ffi ~= nil, View = View, user_place = user_place}
