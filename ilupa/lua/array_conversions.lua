-- Fast copies between numeric Lua tables and numpy arrays.
-- LuaJIT copies through FFI pointers into the array's memory; PUC Lua moves
-- numbers in chunks of call arguments, which lupa converts in C, instead of
-- one Python call per element.
local sink = ...
local type, error, format, min = type, error, string.format, math.min
local unpack_ = table.unpack or unpack
local CHUNK = 2000

local has_ffi, ffi = pcall(require, "ffi")
local conversions = {uses_ffi = (jit ~= nil) and has_ffi}

local function not_a_number(t, i)
  error(format("element %d of the table is %s, not a number", i, type(t[i])), 3)
end

if conversions.uses_ffi then
  local ok, new_table = pcall(require, "table.new")
  if not ok then new_table = function() return {} end end
  local ctypes = {
    float64 = "double *", float32 = "float *", int8 = "int8_t *", int16 = "int16_t *",
    int32 = "int32_t *", int64 = "int64_t *", uint8 = "uint8_t *", uint16 = "uint16_t *",
    uint32 = "uint32_t *", uint64 = "uint64_t *", bool = "uint8_t *",
  }

  -- A new table {p[0], p[stride], ...} of n numbers read from the array's memory.
  function conversions.table_from_memory(dtype, address, n, stride)
    local p = ffi.cast(ctypes[dtype], address)
    local t = new_table(n, 0)
    if dtype == "int64" or dtype == "uint64" then
      for i = 0, n - 1 do t[i + 1] = tonumber(p[i * stride]) end
    elseif dtype == "bool" then
      for i = 0, n - 1 do t[i + 1] = p[i * stride] ~= 0 end
    else
      for i = 0, n - 1 do t[i + 1] = p[i * stride] end
    end
    return t
  end

  -- Writes t[1..n] into a contiguous array's memory.
  function conversions.fill_memory(t, dtype, address, n)
    local p = ffi.cast(ctypes[dtype], address)
    for i = 1, n do
      local x = t[i]
      if type(x) ~= "number" then not_a_number(t, i) end
      p[i - 1] = x
    end
  end
end

-- PUC Lua: Python passes numbers as arguments; Lua stores them from `offset`.
function conversions.store(t, offset, ...)
  local values = {...}
  for i = 1, #values do
    t[offset + i] = values[i]
  end
end

-- PUC Lua: Lua passes t[1..n] to Python's sink in chunks.
function conversions.drain(t, n)
  for first = 1, n, CHUNK do
    local last = min(first + CHUNK - 1, n)
    for i = first, last do
      if type(t[i]) ~= "number" then not_a_number(t, i) end
    end
    sink(first - 1, unpack_(t, first, last))
  end
end

return conversions
