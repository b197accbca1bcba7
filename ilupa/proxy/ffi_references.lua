-- Reads, writes, iteration and calls on reference boxes (ffi_c_api.lua says how
-- the four files fit): each access takes the GIL around one C-API step and
-- falls back to the Python-side handlers of proxy/manners.lua. The fast paths
-- make no tail calls (LuaJIT counts them against its loop-unroll limit).
local given = ...
local python, api, boxes = given.python, given.api, given.boxes
local type, tonumber, error, pcall, floor, getmetatable, rawequal, select =
  type, tonumber, error, python.raw_pcall, math.floor, getmetatable, rawequal, select
local ffi, C, cast, istype, VarP, ListP, TupleP =
  api.ffi, api.C, api.cast, api.istype, api.VarP, api.ListP, api.TupleP
local DictP, INTPTR, take_step, give_step, object =
  api.DictP, api.INTPTR, api.take_step, api.give_step, api.object
local T_DICT, T_LIST, T_TUPLE, T_STR, T_INT, T_FLOAT =
  api.T_DICT, api.T_LIST, api.T_TUPLE, api.T_STR, api.T_INT, api.T_FLOAT
local P_NONE, P_TRUE, P_FALSE =
  api.P_NONE, api.P_TRUE, api.P_FALSE
local SLOW, VALUE, NEWBOX, END, POBJECT, owners =
  boxes.SLOW, boxes.VALUE, boxes.NEWBOX, boxes.END, boxes.POBJECT, boxes.owners
local box_object, lupa_object, new_box, convert =
  boxes.box_object, boxes.lupa_object, boxes.new_box, boxes.convert
local key_of, inter, before_access, make_room, collect_sweep =
  boxes.key_of, boxes.inter, boxes.before_access, boxes.make_room, boxes.collect_sweep
local set_box_type =
  boxes.set_box_type

local object_at = python.object_at
local Reference  -- the box type, made below

local function integral(k)
  return type(k) == "number" and k == floor(k) and k >= -2^53 and k <= 2^53
end

local function sequence(p, t)  -- size, items of a list or tuple
  if t == T_LIST then
    local l = cast(ListP, p)
    return tonumber(l.ob_size), l.ob_item
  end
  local tu = cast(TupleP, p)
  return tonumber(tu.ob_size), tu.ob_item
end

local function index_body(p, k)
  local t = p.ob_type
  if t == T_DICT then
    local item
    if type(k) == "string" then
      local key = key_of(k)
      if key == nil then return SLOW end
      item = C.PyDict_GetItem(p, key)
      if item == nil then return SLOW end  -- attributes (d.get), then nil: Python decides
    elseif integral(k) then
      local key = C.PyLong_FromLongLong(k)
      if key == nil then C.PyErr_Clear() return SLOW end
      item = C.PyDict_GetItem(p, key)
      C.Py_DecRef(key)  -- an int: freeing it runs no Python code
      if item == nil then return VALUE, nil end
    else
      return SLOW
    end
    local kind, v = convert(item)
    return kind, v
  elseif t == T_LIST or t == T_TUPLE then
    if not integral(k) then return SLOW end
    local n, items = sequence(p, t)
    local i = k < 0 and k + n or k
    if i < 0 or i >= n then return VALUE, nil end
    local kind, v = convert(items[i])
    return kind, v
  end
  return SLOW
end

local function ipairs_body(p, i)  -- i: 1-based position; END past the end
  local t = p.ob_type
  if t ~= T_LIST and t ~= T_TUPLE then return SLOW end
  local n, items = sequence(p, t)
  if i > n then return END end
  local kind, v = convert(items[i - 1])
  return kind, v
end

local function length_body(p)
  local t = p.ob_type
  if t == T_LIST or t == T_TUPLE then return VALUE, tonumber(cast(VarP, p).ob_size) end
  if t == T_DICT then return VALUE, tonumber(cast(DictP, p).ma_used) end
  return SLOW
end

-- GIL held: a new reference for a Lua value, nil when Python should convert it.
local function python_value(v)
  local kind = type(v)
  if kind == "number" then
    if v == floor(v) and v >= -2^63 and v < 2^63 then return (C.PyLong_FromLongLong(v)) end
    return (C.PyFloat_FromDouble(v))
  elseif kind == "string" then
    local o = C.PyUnicode_DecodeUTF8(v, #v, nil)
    if o == nil then C.PyErr_Clear() end
    return o
  elseif kind == "boolean" then
    local o = v and P_TRUE or P_FALSE
    C.Py_IncRef(o)
    return o
  elseif kind == "cdata" and istype(Reference, v) then
    local o = box_object(v)
    if o ~= nil then C.Py_IncRef(o) end
    return o
  elseif kind == "userdata" and rawequal(getmetatable(v), POBJECT) then
    local o = lupa_object(v)
    if o ~= nil then C.Py_IncRef(o) end
    return o
  end
  return nil
end

local function newindex_body(p, k, v)
  local t = p.ob_type
  if v == nil then return SLOW end  -- `t[k] = nil`: Python removes the key
  if t == T_DICT and type(k) == "string" then
    local key = key_of(k)
    if key == nil then return SLOW end
    local o = python_value(v)
    if o == nil then return SLOW end
    local old = C.PyDict_GetItem(p, key)
    if old ~= nil then
      C.Py_IncRef(old)  -- freed by Python later, not inside this FFI call
      inter(old)
    end
    local failed = C.PyDict_SetItem(p, key, o) ~= 0
    C.Py_DecRef(o)  -- still held by the dict, a box, or lupa
    if failed then
      C.PyErr_Clear()
      return SLOW
    end
    return VALUE
  elseif t == T_LIST and integral(k) then
    local n, items = sequence(p, t)
    local i = k < 0 and k + n or k
    if i < 0 or i >= n then return SLOW end  -- IndexError, raised by Python
    local o = python_value(v)
    if o == nil then return SLOW end
    inter(items[i])  -- the list's reference moves to the graveyard
    items[i] = o
    return VALUE
  end
  return SLOW
end

-- Calls of the pure functions Python listed (math's, by address: Python holds
-- them, so an address never names another object) with one or two numbers,
-- strings or booleans. The call runs inside this FFI call, so it must run no
-- Python code that could call Lua: these functions only compute on exact
-- ints, floats and strs, and Python's cyclic collector (whose finalizers run
-- Python code) is paused around the call. A result that is not a number,
-- str, bool or None, and any Python error, leave the call to the Python side,
-- which calls again (pure functions: the same result, or the same error).
local pure_callables = {}
for _, address in next, python.pure_callables do pure_callables[address] = true end
local call_args = ffi.new("ilupa_pyobject *[2]")
local calls_live = pcall(function()
  return C.PyObject_Vectorcall, C.PyGC_Disable, C.PyGC_Enable
end)

local function call_body(f, n, a, b)
  local x = python_value(a)
  if x == nil then return SLOW end
  local y = nil
  if n == 2 then
    y = python_value(b)
    if y == nil then
      C.Py_DecRef(x)  -- a number, str or bool made here: freeing it runs no Python code
      return SLOW
    end
  end
  call_args[0], call_args[1] = x, y
  local collecting = C.PyGC_Disable()
  local result = C.PyObject_Vectorcall(f, call_args, n, nil)
  if collecting ~= 0 then C.PyGC_Enable() end
  call_args[0], call_args[1] = nil, nil
  C.Py_DecRef(x)
  if y ~= nil then C.Py_DecRef(y) end
  if result == nil then
    C.PyErr_Clear()
    return SLOW
  end
  local t = result.ob_type
  if t == T_FLOAT or t == T_INT or t == T_STR or result == P_NONE or result == P_TRUE
    or result == P_FALSE then
    local kind, v = convert(result)
    C.Py_DecRef(result)  -- a number, str, bool or None: freeing it runs no Python code
    return kind, v
  end
  inter(result)  -- Python frees it later
  return SLOW
end

local function plain(v)
  local kind = type(v)
  return kind == "number" or kind == "string" or kind == "boolean"
end

-- Runs `body` with the GIL; any error (an interrupt, out of memory) releases it first.
local function with_gil(body, p, a, b, c)
  local g, was = take_step()
  local ok, kind, x, y = pcall(body, p, a, b, c)
  if not ok then C.PyErr_Clear() end
  give_step(g, was)
  if not ok then error(kind, 0) end
  if kind == NEWBOX then
    local made_box, b = pcall(new_box, x)
    if not made_box then
      owners[x] = nil  -- swept later
      error(b, 0)
    end
    return VALUE, b
  end
  return kind, x
end


local function python_object(v)  -- borrowed pointer of a box or lupa object, else nil
  local kind = type(v)
  if kind == "cdata" and istype(Reference, v) then return (box_object(v)) end
  if kind == "userdata" and rawequal(getmetatable(v), POBJECT) then return (lupa_object(v)) end
  return nil
end

-- lupa's own object for a box (Python pushes it): the Python-side path takes it.
local installed = {}
local function as_lupa(v)
  if type(v) == "cdata" and istype(Reference, v) then
    if not rawequal(POBJECT.__index, installed.__index) then
      -- a release of Python references is running (python_references.lua):
      -- lupa must not push a Python object now
      error("a Lua __gc cannot use Python objects while ilupa frees Python references", 3)
    end
    local p = box_object(v)
    if p == nil then error("this Python reference was released (the Lua state was reset)", 3) end
    return (object_at(tonumber(cast(INTPTR, p))))
  end
  return v
end

-- The handlers of proxy_manners.lua, which this file puts a fast path before.
local manners = {}
for _, event in next, {
  "__index", "__newindex", "__len", "__call", "__eq", "__lt", "__le", "__concat", "__unm",
  "__add", "__sub", "__mul", "__div", "__mod", "__pow", "__idiv", "__band", "__bor",
  "__bxor", "__shl", "__shr", "__bnot", "__tostring", "__pairs", "__ipairs",
} do
  manners[event] = POBJECT[event]
end

-- The Python-side handler for `event`: proxy_manners.lua's, or whatever a
-- release of Python references put there meanwhile (it refuses).
local function handler(event)
  local h = POBJECT[event]
  if rawequal(h, installed[event]) then return manners[event] end
  return h
end

local function fast_index(o, k)
  local p = python_object(o)
  if p ~= nil then
    before_access()
    local kind, v = with_gil(index_body, p, k)
    if kind == VALUE then return v end
  end
  return (handler("__index")(as_lupa(o), k))
end

local function fast_newindex(o, k, v)
  local p = python_object(o)
  if p ~= nil then
    before_access()
    make_room()
    if with_gil(newindex_body, p, k, v) == VALUE then return end
  end
  return handler("__newindex")(as_lupa(o), k, v)
end

local function fast_length(o)
  local p = python_object(o)
  if p ~= nil then
    local kind, n = with_gil(length_body, p)
    if kind == VALUE then return n end
  end
  return (handler("__len")(as_lupa(o)))
end

local function sequence_next(o, i)
  local p = python_object(o)
  if p == nil then error("this Python reference was released", 2) end
  before_access()
  i = i + 1
  local kind, v = with_gil(ipairs_body, p, i)
  if kind == END then return nil end
  if kind == VALUE then return i, v end
  return i, handler("__index")(as_lupa(o), i - 1)
end

local function fast_ipairs(o)
  local p = python_object(o)
  if p ~= nil then
    local t = p.ob_type
    if t == T_LIST or t == T_TUPLE then return sequence_next, o, 0 end
  end
  return handler("__ipairs")(as_lupa(o))
end

local function fast_call(f, ...)
  local n = select("#", ...)
  if calls_live and (n == 1 or n == 2) then
    local a, b = ...
    local p = python_object(f)
    if p ~= nil and pure_callables[tonumber(cast(INTPTR, p))] and plain(a)
      and (n == 1 or plain(b)) then
      make_room()
      local kind, v = with_gil(call_body, p, n, a, b)
      if kind == VALUE then return v end
    end
  end
  return handler("__call")(f, ...)
end

installed.__call = fast_call
installed.__index = function(o, k) return (fast_index(o, k)) end
installed.__newindex = function(o, k, v) fast_newindex(o, k, v) end
installed.__len = function(o) return (fast_length(o)) end
installed.__ipairs = function(o)
  local f, s, i = fast_ipairs(o)
  return f, s, i
end
for event, h in next, installed do
  POBJECT[event] = h
end

-- Every other operation on a box is the Python-side one on lupa's object.
local function forward(event)
  return function(a, b)
    return POBJECT[event](as_lupa(a), as_lupa(b))
  end
end

local box_metatable = {
  __index = fast_index,
  __newindex = fast_newindex,
  __len = fast_length,
  __call = function(f, ...)
    return POBJECT.__call(as_lupa(f), ...)
  end,
  __eq = function(a, b)
    if python_object(a) == nil or python_object(b) == nil then return false end
    return POBJECT.__eq(as_lupa(a), as_lupa(b))
  end,
  __tostring = function(o) return manners.__tostring(as_lupa(o)) end,
  __unm = function(o) return POBJECT.__unm(as_lupa(o)) end,
}
for _, event in next, {
  "__lt", "__le", "__concat", "__add", "__sub", "__mul", "__div", "__mod", "__pow",
} do
  box_metatable[event] = forward(event)
end
Reference = ffi.metatype("ilupa_reference", box_metatable)
set_box_type(Reference)

-- pairs/ipairs (proxy_manners.lua's) cannot see a box's metatable.
local previous_pairs, previous_ipairs = pairs, ipairs
-- `...` goes on as it came: `pairs()` and `pairs(nil)` fail differently.
function pairs(...)
  local v = ...
  if type(v) == "cdata" and istype(Reference, v) then return POBJECT.__pairs(as_lupa(v)) end
  return previous_pairs(...)
end
function ipairs(...)
  local v = ...
  local f, s, i
  if type(v) == "cdata" and istype(Reference, v) then
    f, s, i = fast_ipairs(v)
  else
    f, s, i = previous_ipairs(...)
  end
  return f, s, i
end

-- An explicit collection frees dropped boxes' objects too.
local previous_collectgarbage = collectgarbage
function collectgarbage(option, ...)
  local result = previous_collectgarbage(option, ...)
  if option == nil or option == "collect" then
    collect_sweep()
  end
  return result -- (LuaJIT's collectgarbage returns one value)
end

python.set_outgoing_cdata(function(v)
  if istype(Reference, v) then return (as_lupa(v)) end
  return v
end)


return {
  box_type = Reference,
  sequence = sequence,
}
