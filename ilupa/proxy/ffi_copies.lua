-- Copies of JSON-like data through the C API (ffi_c_api.lua says how the four
-- files fit), and what Python asks of the boxes: their objects' addresses.
local given = ...
local python, api, boxes, references = given.python, given.api, given.boxes, given.references
local type, tonumber, error, pcall, next, select =
  type, tonumber, error, python.raw_pcall, next, select
local ffi, C, cast, istype, new_string, VarP, FloatP =
  api.ffi, api.C, api.cast, api.istype, api.new_string, api.VarP, api.FloatP
local DictP, ListP, INTPTR, take_step, give_step, object =
  api.DictP, api.ListP, api.INTPTR, api.take_step, api.give_step, api.object
local T_DICT, T_LIST, T_TUPLE, T_STR, T_INT, T_FLOAT =
  api.T_DICT, api.T_LIST, api.T_TUPLE, api.T_STR, api.T_INT, api.T_FLOAT
local P_NONE, P_TRUE, P_FALSE =
  api.P_NONE, api.P_TRUE, api.P_FALSE
local arena, box_object, sweep, convert, new_box, NEWBOX =
  boxes.arena, boxes.box_object, boxes.sweep, boxes.convert, boxes.new_box, boxes.NEWBOX
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

-- Lua tables into Python (`ilupa.topython` in Lua), built through the C API with
-- the GIL held for the whole copy, as Python's own copy holds it. The result is
-- what ilupa/proxy/copies.py's ToPython makes of the same table: keys exactly
-- 1..n make a list, any others a dict; a table reached twice (shared, or a cycle)
-- is one object; numbers as lupa gives them (a whole number below 2^63 an int),
-- strings decoded as UTF-8, a box its object. Anything else (a boolean or table
-- key, a function, a userdata, text that is not UTF-8, deep nesting) gives up,
-- and the Python copy does the whole table, with its own results and errors.
local floor = math.floor
local TWO_63 = 2 ^ 63
-- During a copy: each table's object, each string's str (borrowed: the
-- objects made so far hold them).
local made_for, texts
-- Every BREATHE_TABLES tables the copy lets the GIL go for a moment (other
-- Python threads run, the stop button's watcher can raise the interrupt's
-- flag) and stops if the interrupt came: a copy of millions of tables is not
-- past the stop button. Nothing made yet is visible to Python meanwhile.
local BREATHE_TABLES = 4096
local check_interrupt = python.check_interrupt
local tables_left, step_token, step_was

local function breathe()
  tables_left = BREATHE_TABLES
  give_step(step_token, step_was)
  step_token, step_was = take_step()
  if check_interrupt ~= nil then check_interrupt() end
end

local function new_number(v)
  if v == floor(v) and v >= -TWO_63 and v < TWO_63 then return C.PyLong_FromLongLong(v) end
  return C.PyFloat_FromDouble(v)
end

local function new_text(s)  -- a new reference, or nil
  local p = texts[s]
  if p ~= nil then
    C.Py_IncRef(p)
    return p
  end
  p = C.PyUnicode_DecodeUTF8(s, #s, nil)
  if p == nil then return nil end
  texts[s] = p
  return p
end

local object_of_table
local function new_object(v, depth)  -- a new reference, or nil: give up
  local kind = type(v)
  if kind == "number" then
    return new_number(v)
  elseif kind == "string" then
    return new_text(v)
  elseif kind == "boolean" then
    local p = v and P_TRUE or P_FALSE
    C.Py_IncRef(p)
    return p
  elseif kind == "table" then
    return object_of_table(v, depth + 1)
  elseif kind == "cdata" and istype(Reference, v) then
    local p = box_object(v)
    if p ~= nil then C.Py_IncRef(p) end
    return p
  end
  return nil
end

object_of_table = function(t, depth)
  local known = made_for[t]
  if known ~= nil then
    C.Py_IncRef(known)
    return known
  end
  if depth > MAX_DEPTH then return nil end
  tables_left = tables_left - 1
  if tables_left <= 0 then breathe() end
  local n, top, sequence = 0, 0, true
  for k in next, t do
    n = n + 1
    if type(k) == "number" then
      if k > top then top = k end
      if k < 1 or k ~= floor(k) then sequence = false end
    elseif type(k) == "string" then
      sequence = false
    else
      return nil  -- a boolean key (Python's True is 1) or a table key: Python's copy
    end
  end
  if sequence and n > 0 and top == n then
    local list = C.PyList_New(n)
    if list == nil then return nil end
    made_for[t] = list
    local items = cast(ListP, list).ob_item
    for i = 1, n do
      local item = new_object(t[i], depth)  -- a key present: no metamethod runs
      if item == nil then
        C.Py_DecRef(list)
        return nil
      end
      items[i - 1] = item  -- the list takes the reference
    end
    return list
  end
  local dict = C.PyDict_New()
  if dict == nil then return nil end
  made_for[t] = dict
  for k, v in next, t do
    local key, value
    if type(k) == "string" then key = new_text(k) else key = new_number(k) end
    if key ~= nil then value = new_object(v, depth) end  -- NULL compares equal to nil
    local stored = value ~= nil and C.PyDict_SetItem(dict, key, value) == 0
    if key ~= nil then C.Py_DecRef(key) end
    if value ~= nil then C.Py_DecRef(value) end
    if not stored then
      C.Py_DecRef(dict)
      return nil
    end
  end
  return dict
end

local function to_python_body(t)
  made_for, texts, tables_left = {}, {}, BREATHE_TABLES
  local p = object_of_table(t, 0)
  made_for, texts = nil, nil
  if p == nil then
    C.PyErr_Clear()
    return false
  end
  local kind, slot = convert(p)  -- a new list or dict: boxed, the arena holding it
  C.Py_DecRef(p)
  if kind ~= NEWBOX then return false end
  return true, new_box(slot)
end

-- `ilupa.topython(t)` for a table: (true, a box of the copy) or false (Python
-- copies it). Lua's collector and Python's pause meanwhile: no finalizer runs
-- while the GIL is held for the copy, and Python's collector need not walk
-- objects still being built. A copy stopped part-way (the interrupt, a Lua
-- error) frees what it made: the root's object holds all of it.
local function to_python(t)
  if arena.closed ~= 0 then return false end
  local known, running = pcall(gc, "isrunning")  -- LuaJIT 2.0 cannot tell
  gc("stop")
  step_token, step_was = take_step()
  local collecting = C.PyGC_Disable()
  local ok, copied, result = pcall(to_python_body, t)
  if not ok then
    local root = made_for ~= nil and made_for[t] or nil
    if root ~= nil then C.Py_DecRef(root) end
    made_for, texts = nil, nil
    C.PyErr_Clear()
  end
  if collecting ~= 0 then C.PyGC_Enable() end
  give_step(step_token, step_was)
  if not known or running then gc("restart") end
  if not ok then error(copied, 0) end
  return copied, result
end

-- The Lua `ilupa.topython`: a table through the C API, anything else (or a table
-- the C API gives up on) through `python_copy`, the Python copy.
local function topython_with(python_copy)
  return function(...)
    local value = ...
    if select("#", ...) == 1 and type(value) == "table" then
      local copied, box = to_python(value)
      if copied then return box end
    end
    return python_copy(...)
  end
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
  topython_with = topython_with,
  counts = boxes.counts,
}
