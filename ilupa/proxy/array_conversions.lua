-- Fast copies between numeric Lua tables and numpy arrays.
-- LuaJIT copies through FFI pointers into the array's memory. PUC Lua keeps
-- the per-element work inside C functions: Lua 5.3+ unpacks the array's bytes
-- many values per `string.unpack` call and `table.move`s them into place, and
-- a table goes to Python as the results of `unpack(t, i, j)`, which lupa turns
-- into a tuple in C. Either way no Python call is made per element.
local type = type
local unpack_ = table.unpack or unpack

local has_ffi, ffi = pcall(require, "ffi")
local conversions = {uses_ffi = (jit ~= nil) and has_ffi, uses_string_unpack = false}

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

  -- Writes t[1..n] into a contiguous array's memory; returns the position of
  -- the first element that is not a number, or (for integer dtypes, whose
  -- exclusive bounds `low` and `high` are given) does not fit: NaN, out of
  -- range. FFI would store those wrapped or undefined; numpy refuses them.
  function conversions.fill_memory(t, dtype, address, n, low, high)
    local p = ffi.cast(ctypes[dtype], address)
    if low == nil then
      for i = 1, n do
        local x = t[i]
        if type(x) ~= "number" then return i end
        p[i - 1] = x
      end
      return nil
    end
    for i = 1, n do
      local x = t[i]
      if type(x) ~= "number" or not (x > low and x < high) then return i end
      p[i - 1] = x
    end
  end
end

if string.unpack and table.move then
  conversions.uses_string_unpack = true
  local unpack_bytes, move, rep = string.unpack, table.move, string.rep
  local create = table.create or function() return {} end  -- 5.5 preallocates

  -- A new table of the n values packed in `bytes` (format letter `code`,
  -- `size` bytes each), `chunk` values per string.unpack call.
  function conversions.table_from_bytes(bytes, n, code, size, chunk)
    local t, position, done = create(n), 1, 0
    local format = rep(code, chunk)
    while done < n do
      local count = n - done
      if count < chunk then
        format = rep(code, count)
      else
        count = chunk
      end
      move({unpack_bytes(format, bytes, position)}, 1, count, done + 1, t)
      position = position + count * size
      done = done + count
    end
    return t
  end
end

-- dst[at + 1 .. at + n] = src[1 .. n] (ilupa/proxy/copies.py's records, made in chunks).
local move = table.move
function conversions.append(dst, src, n, at)
  if move then
    move(src, 1, n, at + 1, dst)
  else
    for i = 1, n do dst[at + i] = src[i] end
  end
end

-- true, t[first], ..., t[last]: `true` keeps a single value a tuple in Python.
function conversions.slice(t, first, last)
  return true, unpack_(t, first, last)
end

return conversions
