-- ilupa.column (see ilupa/frames/columns.py): a column of a data frame or an
-- Arrow array, read in Lua without a copy of the column.
-- * Numbers and booleans: the array view of the column's memory, and a view of
--   its nulls (true where a value is missing) when it has any.
-- * Text: a text column, `c[i]` for i in 0..#c-1 the i-th string (nil where
--   the value is missing), `#c`, `ipairs(c)` (positions 1..n, stopping at a
--   missing value as over a Lua table with a hole). On LuaJIT the strings are
--   read from Arrow's offset and data buffers through the FFI; elsewhere, and
--   for an object column, Python hands over `BATCH` strings at a time.
-- Python gives `describe` (a named table for a column, see layer.py) and
-- `batch` (strings start..stop-1 of a column, as a Lua table 1..n).
local given = ...
local describe, batch, batch_size = given.describe, given.batch, given.batch_size
local iteration_marker = given.iteration_marker  -- proxy/manners.lua: ipairs honours __ipairs
local newproxy, getmetatable = newproxy, getmetatable
-- Lua 5.1 and LuaJIT call __len of userdata only: a column is a handle there.
local HANDLES = newproxy ~= nil and #setmetatable({}, { __len = function() return 1 end }) ~= 1
local error, type, format, tostring = error, type, string.format, tostring
local setmetatable, floor, mtype = setmetatable, math.floor, math.type
local ok_ffi, ffi = pcall(require, "ffi")
if not rawget(_G, "jit") then ok_ffi = false end

local function check_index(i, n, level)
  if type(i) ~= "number" or i ~= i or floor(i) ~= i or i < 0 or i >= n then
    error(format("text column index %s out of range [0, %d)", tostring(i), n), level + 1)
  end
end

-- `read(i)` for i in 0..n-1 of one Arrow string chunk, through the FFI.
local function chunk_reader(chunk)
  local cast, ffi_string = ffi.cast, ffi.string
  local band, rshift, lshift = bit.band, bit.rshift, bit.lshift
  local offsets = cast(chunk.offset_bytes == 4 and "const int32_t *" or "const int64_t *",
    chunk.offsets)
  local data = cast("const char *", chunk.data)
  local bit_offset = chunk.bit_offset
  if chunk.validity == 0 then
    return function(i)
      local first = offsets[i]
      return ffi_string(data + first, offsets[i + 1] - first)
    end
  end
  local validity = cast("const uint8_t *", chunk.validity)
  return function(i)
    local at = i + bit_offset
    if band(validity[rshift(at, 3)], lshift(1, band(at, 7))) == 0 then return nil end
    local first = offsets[i]
    return ffi_string(data + first, offsets[i + 1] - first)
  end
end

-- `read(i)` over all chunks: the chunk that holds i, the last one found first.
local function arrow_reader(chunks)
  if #chunks == 1 then return chunk_reader(chunks[1]) end
  local readers, starts, stops = {}, {}, {}
  local start = 0
  for k = 1, #chunks do
    readers[k], starts[k] = chunk_reader(chunks[k]), start
    start = start + chunks[k].length
    stops[k] = start
  end
  local last = 1
  return function(i)
    if i < starts[last] or i >= stops[last] then
      last = 1
      while stops[last] <= i do last = last + 1 end
    end
    return readers[last](i - starts[last])
  end
end

-- `read(i)` through batches from Python: only the current batch is kept.
-- Also gives `index`, the whole `c[i]` with the batch's bounds as the first
-- check (one function call per read on PUC Lua, where calls are dear).
local function batch_reader(source, n)
  local low, high, strings = 0, 0, {}
  local function read(i)
    if i < low or i >= high then
      low = i - i % batch_size
      high = low + batch_size
      if high > n then high = n end
      strings = batch(source, low, high)
    end
    return strings[i - low + 1]
  end
  local index
  if mtype then  -- Lua 5.3+: one check for an integer (a whole float takes the long way)
    index = function(_, i)
      if mtype(i) == "integer" and i >= low and i < high then
        return strings[i - low + 1]
      end
      check_index(i, n, 2)
      return read(i)
    end
  else
    index = function(_, i)
      if type(i) == "number" and i >= low and i < high and i % 1 == 0 then
        return strings[i - low + 1]
      end
      check_index(i, n, 2)
      return read(i)
    end
  end
  return read, index
end

local function text_column(spec)
  local n = spec.length
  local read, index
  if ok_ffi and spec.chunks ~= nil then
    read = arrow_reader(spec.chunks)
  else
    read, index = batch_reader(spec.source, n)
  end
  local column, mt
  if HANDLES then
    column = newproxy(true)
    mt = getmetatable(column)
  else
    mt = {}
    column = setmetatable({}, mt)
  end
  mt.__index = index or function(_, i)
    check_index(i, n, 2)
    return read(i)
  end
  mt.__newindex = function()
    error("a text column is read-only", 2)
  end
  mt.__len = function() return n end
  mt.__ipairs = function(c)
    return function(_, position)
      if position < n then
        local value = read(position)
        if value ~= nil then return position + 1, value end
      end
    end, c, 0
  end
  mt.__tostring = function()
    return format("text column of %d strings", n)
  end
  mt[iteration_marker] = true
  mt.keep = spec.keep  -- the Python objects that own the memory read
  return column
end

local function column(value)
  local spec = describe(value)
  if spec.kind == "numbers" then
    return spec.values, spec.nulls
  end
  return text_column(spec)
end

return { column = column, text_column = text_column }
