-- Copies of JSON-like data through the C API (ffi_c_api.lua says how the four
-- files fit), and what Python asks of the boxes: their objects' addresses.
local given = ...
local python, api, boxes, references = given.python, given.api, given.boxes, given.references
local type, tonumber, error, pcall = type, tonumber, error, python.raw_pcall
local ffi, C, cast, istype, new_string, VarP, FloatP =
  api.ffi, api.C, api.cast, api.istype, api.new_string, api.VarP, api.FloatP
local DictP, INTPTR, take_step, give_step, object =
  api.DictP, api.INTPTR, api.take_step, api.give_step, api.object
local T_DICT, T_LIST, T_TUPLE, T_STR, T_INT, T_FLOAT =
  api.T_DICT, api.T_LIST, api.T_TUPLE, api.T_STR, api.T_INT, api.T_FLOAT
local P_NONE, P_TRUE, P_FALSE =
  api.P_NONE, api.P_TRUE, api.P_FALSE
local arena, box_object, sweep =
  boxes.arena, boxes.box_object, boxes.sweep
local Reference, sequence = references.box_type, references.sequence

-- Copies (ilupa.copy, fb.python's eval) of JSON-like data, walked with the GIL
-- held for the whole copy (as Python's own copy holds it): exact dicts, lists
-- and tuples become tables (lists 1-based), shared and cyclic containers one
-- table each, None values holes. Anything else (other types, keys that are not
-- strings or numbers, big ints, deep nesting) gives up: Python then copies the
-- whole value, with its errors (ilupa/proxy/copies.py).
local GIVE_UP = {}
local MAX_DEPTH = 200
local has_table_new, table_new = pcall(require, "table.new")  -- LuaJIT 2.1
if not has_table_new then
  table_new = function() return {} end
end
local gc = collectgarbage
local copy_size = ffi.new("intptr_t[1]")
-- PyDict_Next's position of the dict being walked at each depth (no allocation per dict)
local positions = ffi.new("intptr_t[?]", MAX_DEPTH + 2)
local key_out = ffi.new("ilupa_pyobject *[1]")
local value_out = ffi.new("ilupa_pyobject *[1]")

local copy_value
local key_names  -- during a copy: the Lua string of each str key object, by address
local function copy_scalar(p, t)  -- a Lua value, nil for None, GIVE_UP
  if t == T_STR then
    local text = C.PyUnicode_AsUTF8AndSize(p, copy_size)
    if text == nil then
      C.PyErr_Clear()
      return GIVE_UP
    end
    return (new_string(text, copy_size[0]))
  elseif t == T_FLOAT then
    return cast(FloatP, p).ob_fval
  elseif t == T_INT then
    local v = C.PyLong_AsLongLong(p)
    if v == -1 and C.PyErr_Occurred() ~= nil then
      C.PyErr_Clear()
      return GIVE_UP
    end
    return (tonumber(v))
  elseif p == P_NONE then
    return nil
  elseif p == P_TRUE then
    return true
  elseif p == P_FALSE then
    return false
  end
  return GIVE_UP
end

copy_value = function(p, done, depth)
  local t = p.ob_type
  if t ~= T_DICT and t ~= T_LIST and t ~= T_TUPLE then return (copy_scalar(p, t)) end
  -- A container with one reference (its parent's: the root has its caller's
  -- too) is met once in this walk, which holds the GIL: shared or cyclic ones
  -- have more, and only those need remembering (most JSON-like data has none).
  local shared = p.ob_refcnt > 1
  local address
  local table_
  if shared then
    address = tonumber(cast(INTPTR, p))
    table_ = done[address]
    if table_ ~= nil then return table_ end
  end
  if depth > MAX_DEPTH then return GIVE_UP end
  if t == T_DICT then
    table_ = table_new(0, tonumber(cast(DictP, p).ma_used))
  else
    table_ = table_new(tonumber(cast(VarP, p).ob_size), 0)
  end
  if shared then done[address] = table_ end
  if t == T_DICT then
    local at = positions + depth  -- an inner dict has its own position
    at[0] = 0
    while C.PyDict_Next(p, at, key_out, value_out) ~= 0 do
      local k, v = key_out[0], value_out[0]
      local kt = k.ob_type
      if kt ~= T_STR and kt ~= T_INT and kt ~= T_FLOAT and k ~= P_TRUE and k ~= P_FALSE then
        return GIVE_UP
      end
      local key
      if kt == T_STR then
        -- records share their key objects (json.loads, literals, interned
        -- names): one Lua string per key object in this copy, found by address
        -- (the dicts keep their keys alive while the GIL is held)
        local key_address = tonumber(cast(INTPTR, k))
        key = key_names[key_address]
        if key == nil then
          key = copy_scalar(k, kt)
          if key == GIVE_UP then return GIVE_UP end
          key_names[key_address] = key
        end
      else
        key = copy_scalar(k, kt)
        if key == GIVE_UP or key ~= key then return GIVE_UP end  -- NaN: Python says why
      end
      local value = copy_value(v, done, depth + 1)
      if value == GIVE_UP then return GIVE_UP end
      if value ~= nil then table_[key] = value end
    end
  else
    local n, items = sequence(p, t)
    for i = 0, n - 1 do
      local value = copy_value(items[i], done, depth + 1)
      if value == GIVE_UP then return GIVE_UP end
      if value ~= nil then table_[i + 1] = value end
    end
  end
  return table_
end

local function copy_body(p)
  key_names = {}
  local result = copy_value(p, {}, 0)
  key_names = nil
  if result == GIVE_UP then return false end
  return true, result
end

-- The copy of the object at `address` (Python keeps it alive meanwhile), or
-- false. Python estimated the copy before (memory.check_copy): the collector
-- pauses meanwhile, since everything the copy makes stays reachable.
local function copy(address)
  if arena.closed ~= 0 then return false end
  local known, running = pcall(gc, "isrunning")  -- LuaJIT 2.0 cannot tell
  gc("stop")
  local g, was = take_step()
  local ok, copied, result = pcall(copy_body, object(address))
  if not ok then C.PyErr_Clear() end
  give_step(g, was)
  if not known or running then gc("restart") end
  if not ok then error(copied, 0) end
  return copied, result
end

-- For Python: the address of a box's object (nil for anything else), a sweep.
local function address_of(v)
  if type(v) == "cdata" and istype(Reference, v) then
    local p = box_object(v)
    if p ~= nil then return (tonumber(cast(INTPTR, p))) end
  end
  return nil
end

return {
  live = true,
  address_of = address_of,
  sweep = function() sweep() end,
  copy = copy,
  counts = boxes.counts,
}
