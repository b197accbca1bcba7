-- Python references through the CPython C API, by LuaJIT's FFI (docs/proxy.md
-- says why each choice was made; ilupa/proxy/c_api.py is the Python half).
--
-- Reads of exact dicts, lists and tuples (`d.k`, `d[1]`, `l[i]`, `#o`,
-- `ipairs`) and writes (`d.k = v`, `l[i] = v`) call the C API directly, with
-- the GIL taken around each access (lupa runs Lua with the GIL released) and
-- never held while other Lua code runs: every GIL-held step runs inside the
-- raw `pcall`, so an interrupt or a memory error raised there releases the
-- GIL before it goes on. Strings, numbers, booleans and None become Lua
-- values; a dict, list or tuple becomes a reference box (an FFI struct that
-- holds a slot number). Everything else takes the Python-side path of
-- proxy_manners.lua, with the box turned into lupa's own object first.
--
-- Lifetime: each box's object is a strong reference in the arena (C memory
-- that Python owns and frees). A weak-valued table maps an object's address
-- to its box; once the collector has dropped a box, its slot is found by a
-- sweep (after each finished collection cycle) and its reference moved to
-- the graveyard, a Python list that Python empties: an object freed there
-- may run Python code (`__del__`) that calls Lua, which must never happen
-- inside an FFI call. The FFI side only decrements what cannot free an
-- object or run Python code.
local given = ...
local type, tonumber, error, pcall, floor, getmetatable, setmetatable, rawequal, select =
  type, tonumber, error, given.raw_pcall, math.floor, getmetatable, setmetatable, rawequal, select

local has_ffi, ffi = pcall(require, "ffi")
if not (jit and has_ffi) then
  return { live = false, why = "no FFI on this runtime" }
end

local declared, problem = pcall(ffi.cdef, [[
typedef struct ilupa_pyobject {
  intptr_t ob_refcnt; struct ilupa_pyobject *ob_type;
} ilupa_pyobject;
typedef struct { intptr_t ob_refcnt; void *ob_type; intptr_t ob_size; } ilupa_pyvar;
typedef struct {
  intptr_t ob_refcnt; void *ob_type; intptr_t ob_size; ilupa_pyobject **ob_item;
} ilupa_pylist;
typedef struct {
  intptr_t ob_refcnt; void *ob_type; intptr_t ob_size; ilupa_pyobject *ob_item[1];
} ilupa_pytuple;
typedef struct { intptr_t ob_refcnt; void *ob_type; double ob_fval; } ilupa_pyfloat;
typedef struct { intptr_t ob_refcnt; void *ob_type; intptr_t ma_used; } ilupa_pydict;
typedef struct { ilupa_pyobject *obj; void *runtime; int type_flags; } ilupa_lupa_object;
typedef struct { ilupa_pyobject **items; int32_t top, cap, closed; } ilupa_arena;
typedef struct ilupa_reference { int32_t : 32; } ilupa_reference;
int PyGILState_Ensure(void);
void PyGILState_Release(int);
void *PyGILState_GetThisThreadState(void);
void PyEval_RestoreThread(void *);
void *PyEval_SaveThread(void);
ilupa_pyobject *PyDict_GetItem(ilupa_pyobject *, ilupa_pyobject *);
int PyDict_SetItem(ilupa_pyobject *, ilupa_pyobject *, ilupa_pyobject *);
int PyDict_Next(ilupa_pyobject *, intptr_t *, ilupa_pyobject **, ilupa_pyobject **);
long long PyLong_AsLongLong(ilupa_pyobject *);
ilupa_pyobject *PyLong_FromLongLong(long long);
ilupa_pyobject *PyFloat_FromDouble(double);
const char *PyUnicode_AsUTF8AndSize(ilupa_pyobject *, intptr_t *);
ilupa_pyobject *PyUnicode_DecodeUTF8(const char *, intptr_t, const char *);
void PyUnicode_InternInPlace(ilupa_pyobject **);
ilupa_pyobject *PyErr_Occurred(void);
void PyErr_Clear(void);
void Py_IncRef(ilupa_pyobject *);
ilupa_pyobject *PyObject_Vectorcall(ilupa_pyobject *, ilupa_pyobject *const *, size_t, ilupa_pyobject *);
int PyGC_Disable(void);
int PyGC_Enable(void);
void Py_DecRef(ilupa_pyobject *);
void *realloc(void *, size_t);
]])
if not declared then
  return { live = false, why = "FFI declarations failed: " .. tostring(problem) }
end

local C = ffi.C
for _, name in next, {
  "PyGILState_Ensure", "PyGILState_Release", "PyDict_GetItem", "PyDict_SetItem", "PyDict_Next",
  "PyLong_AsLongLong", "PyLong_FromLongLong", "PyFloat_FromDouble",
  "PyUnicode_AsUTF8AndSize", "PyUnicode_DecodeUTF8", "PyUnicode_InternInPlace",
  "PyErr_Occurred", "PyErr_Clear", "Py_IncRef", "Py_DecRef", "realloc",
} do
  if not pcall(function() return C[name] end) then
    return { live = false, why = "the C API symbol " .. name .. " is not reachable" }
  end
end

local cast, istype, new_string = ffi.cast, ffi.istype, ffi.string
local PyObjectP = ffi.typeof("ilupa_pyobject *")
local VarP, ListP, TupleP = ffi.typeof("ilupa_pyvar *"), ffi.typeof("ilupa_pylist *"),
  ffi.typeof("ilupa_pytuple *")
local FloatP, DictP = ffi.typeof("ilupa_pyfloat *"), ffi.typeof("ilupa_pydict *")
local LupaP, I32P, INTPTR = ffi.typeof("ilupa_lupa_object *"), ffi.typeof("int32_t *"),
  ffi.typeof("intptr_t")
local Ensure, Release = C.PyGILState_Ensure, C.PyGILState_Release

-- Taking the GIL: lupa gave it up with PyEval_SaveThread on this same OS
-- thread, whose thread state stays registered (PyGILState_GetThisThreadState,
-- a thread-local read), so PyEval_RestoreThread/SaveThread with it do what
-- PyGILState_Ensure/Release do without their bookkeeping: about 8 ns less of
-- about 35 per access (docs/proxy.md). The thread state is looked up on every
-- take, never cached: Lua may run in any Python thread (coroutines run on the
-- thread that resumes them). When this thread already holds the GIL (Lua run
-- by Python code that kept it), nothing is taken; without a thread state, or
-- without the symbols, PyGILState_Ensure/Release.
local TOOK, HELD, ENSURED = 0, 1, 2
local current_name
for _, name in next, { "PyThreadState_GetUnchecked", "_PyThreadState_UncheckedGet" } do
  if pcall(ffi.cdef, "void *" .. name .. "(void);") and pcall(function() return C[name] end) then
    current_name = name
    break
  end
end
local take_gil, give_gil
if current_name and pcall(function()
  return C.PyGILState_GetThisThreadState, C.PyEval_RestoreThread, C.PyEval_SaveThread
end) then
  local this_thread, current = C.PyGILState_GetThisThreadState, C[current_name]
  local restore, save = C.PyEval_RestoreThread, C.PyEval_SaveThread
  take_gil = function()
    local ts = this_thread()
    if ts == nil then return ENSURED + Ensure() end
    if current() == ts then return HELD end  -- only this thread makes itself current
    restore(ts)
    return TOOK
  end
  give_gil = function(token)
    if token == TOOK then
      save()
    elseif token >= ENSURED then
      Release(token - ENSURED)
    end
  end
else
  take_gil = function() return ENSURED + Ensure() end
  give_gil = function(token) Release(token - ENSURED) end
end

-- While the GIL is held here, the hook neither polls Python nor runs the
-- memory watch (interrupt.lua): Python code could hand the GIL to another
-- thread, which could free an object this side holds only a borrowed pointer
-- to. `held` is saved and restored, so a nested take (a finalizer's access)
-- leaves the outer one marked.
local gil_step = given.gil_step
local function take_step()  -- the GIL, and whether `held` was set before
  local was = gil_step.held
  gil_step.held = true
  return take_gil(), was
end
local function give_step(g, was)
  gil_step.held = was
  give_gil(g)
end

local function object(address) return (cast(PyObjectP, address)) end
local types = given.types
local T_DICT, T_LIST, T_TUPLE = object(types.dict), object(types.list), object(types.tuple)
local T_STR, T_INT, T_FLOAT = object(types.str), object(types.int), object(types.float)
local P_NONE, P_TRUE, P_FALSE = object(types.none), object(types.true_), object(types.false_)

-- The layout this file assumes, checked on objects Python keeps alive meanwhile.
do
  local probe = given.probe
  local list, dict, float = object(probe.list), object(probe.dict), object(probe.float)
  local fits = list.ob_type == T_LIST and dict.ob_type == T_DICT and float.ob_type == T_FLOAT
    and tonumber(cast(ListP, list).ob_size) == probe.list_size
    and cast(ListP, list).ob_item[1] == object(probe.list_item)
    and tonumber(cast(DictP, dict).ma_used) == probe.dict_size
    and cast(FloatP, float).ob_fval == probe.float_value
  if not fits then
    return { live = false, why = "this Python's object layout is not the one ilupa reads" }
  end
end

local POBJECT = debug.getregistry().POBJECT
local object_at, bury = given.object_at, given.bury
local arena = cast("ilupa_arena *", given.arena)
local SLOW, VALUE, NEWBOX, END = 0, 1, 2, 3

local Reference  -- the box type, made below

-- The box of each slot (weak: a dropped box leaves it); PENDING while one is made.
local owners = setmetatable({}, { __mode = "v" })
local PENDING = {}
local free, nfree = {}, 0
local pinned = {}   -- slots of cached key strings: never swept
local made, SWEEP_AFTER = 0, 1024  -- boxes made since the last sweep; fewer: no sweep
local finished_cycle = setmetatable({}, { __mode = "v" })
finished_cycle[1] = {}  -- gone once a collection cycle finished

local graveyard = cast(ListP, given.graveyard)
local GRAVEYARD_SIZE = given.graveyard_size
local graves = 0

-- The slot of each boxed object, by address: open addressing with linear
-- probing in FFI memory (a Lua table keyed by addresses churned the collector).
local band, tobit = bit.band, bit.tobit
local index_size, index_mask, indexed = 1024, 1023, 0
local index = ffi.new("int32_t[?]", index_size)

local function home(address)
  return (band(tobit(address / 16), index_mask))
end

-- Every entry sits within PROBES buckets of its home (insertion and rebuilding
-- make sure of it, deletion only moves entries closer), so a lookup is a few
-- unrolled probes: a loop here would be an inner loop in the user's trace.
local function probe(p, h)  -- kind (0 free, 1 found, 2 taken), slot
  local e = index[h]
  if e == 0 then return 0 end
  if arena.items[e - 1] == p then return 1, e - 1 end
  return 2
end

local function find(p, address)  -- slot (or -1), and a free bucket (or -1)
  local h = home(address)
  local kind, slot = probe(p, h)
  if kind == 2 then
    h = band(h + 1, index_mask)
    kind, slot = probe(p, h)
    if kind == 2 then
      h = band(h + 1, index_mask)
      kind, slot = probe(p, h)
      if kind == 2 then
        h = band(h + 1, index_mask)
        kind, slot = probe(p, h)
        if kind == 2 then return -1, -1 end
      end
    end
  end
  if kind == 1 then return slot, h end
  return -1, h
end

local function rebuild_index(size)
  while true do
    index_size, index_mask, indexed = size, size - 1, 0
    index = ffi.new("int32_t[?]", size)
    local placed = true
    for s = 0, arena.top - 1 do
      local p = arena.items[s]
      if p ~= nil and not pinned[s] then
        local _, h = find(p, tonumber(cast(INTPTR, p)))
        if h < 0 then
          placed = false
          break
        end
        index[h] = s + 1
        indexed = indexed + 1
      end
    end
    if placed then return end
    size = size * 2
  end
end

-- `h`: the free bucket a `find` of `p` just gave (-1: none).
local function index_add(p, address, slot, h)
  if h < 0 or (indexed + 1) * 8 > index_size then
    local _
    rebuild_index(index_size * 2)
    _, h = find(p, address)
    if h < 0 then
      rebuild_index(index_size * 2)
      _, h = find(p, address)
    end
  end
  index[h] = slot + 1
  indexed = indexed + 1
end

-- Removes `p` (its slot still holding it), shifting later entries back.
local function index_remove(p, address)
  local i = home(address)
  while index[i] ~= 0 and arena.items[index[i] - 1] ~= p do
    i = band(i + 1, index_mask)
  end
  if index[i] == 0 then return end
  local j = i
  while true do
    j = band(j + 1, index_mask)
    local e = index[j]
    if e == 0 then break end
    local k = home(tonumber(cast(INTPTR, arena.items[e - 1])))
    local stays = (i <= j) and (k > i and k <= j) or (i > j and (k > i or k <= j))
    if not stays then
      index[i] = e
      i = j
    end
  end
  index[i] = 0
  indexed = indexed - 1
end

-- GIL held: a new strong reference to `p` in a free arena slot.
local function claim(p)
  if arena.closed ~= 0 then error("ilupa's Python references were released", 0) end
  local s
  if nfree > 0 then
    s = free[nfree]
    nfree = nfree - 1
  else
    s = arena.top
    if s >= arena.cap then
      local cap = arena.cap * 2 + 1024
      local items = C.realloc(arena.items, cap * ffi.sizeof(PyObjectP))
      if items == nil then error("not enough memory for Python references", 0) end
      arena.items = items
      for i = arena.cap, cap - 1 do arena.items[i] = nil end
      arena.cap = cap
    end
    arena.top = s + 1
  end
  C.Py_IncRef(p)
  arena.items[s] = p
  return s
end

-- The object of a box, or nil when it is not one of ours (or was released).
local function box_object(b)
  local s = cast(I32P, b)[0]
  if s < 0 or s >= arena.top then return nil end
  local p = arena.items[s]
  if p == nil then return nil end
  return p
end

local function lupa_object(ud)
  local o = cast(LupaP, ud)
  -- lupa marks objects with __getitem__ (1); other flags come from python.as_* wrappers
  if o.type_flags > 1 or o.obj == nil then return nil end
  return o.obj
end

-- GIL held: moves one owned reference into the graveyard (Python frees it later).
local function inter(p)
  graveyard.ob_item[graves] = p
  graves = graves + 1
  C.Py_DecRef(P_NONE)  -- the None it replaced
end

local function flush()
  if graves > 0 then
    local count = graves
    graves = 0
    bury(count)
  end
end

-- GIL held: dead boxes' references into the graveyard, while there is room.
-- Returns where to go on once Python emptied the graveyard, or nil when done.
local function sweep_body(from)
  for s = from, arena.top - 1 do
    if graves >= GRAVEYARD_SIZE then return s end
    local p = arena.items[s]
    if p ~= nil and not pinned[s] and owners[s] == nil then
      do
        index_remove(p, tonumber(cast(INTPTR, p)))
        arena.items[s] = nil
        nfree = nfree + 1
        free[nfree] = s
        inter(p)
      end
    end
  end
  -- trailing free slots leave the arena, so later sweeps stay short
  local top = arena.top
  while top > 0 and arena.items[top - 1] == nil and not pinned[top - 1] do
    top = top - 1
  end
  if top < arena.top then
    arena.top = top
    local kept = 0
    for i = 1, nfree do
      local slot = free[i]
      if slot < top then
        kept = kept + 1
        free[kept] = slot
      end
    end
    for i = kept + 1, nfree do free[i] = nil end
    nfree = kept
  end
end

local sweeping = false
local function sweep()
  if sweeping or arena.closed ~= 0 then return end
  sweeping = true
  made = 0
  finished_cycle[1] = {}
  local from = 0
  repeat
    local g, was = take_step()
    local ok, next_from = pcall(sweep_body, from)
    give_step(g, was)
    local flushed, problem = pcall(flush)
    if not (ok and flushed) then
      sweeping = false
      error(ok and problem or next_from, 0)
    end
    from = next_from
  until from == nil
  sweeping = false
end

local function new_box(slot)
  local b = Reference()
  cast(I32P, b)[0] = slot
  owners[slot] = b
  made = made + 1
  return b
end

-- GIL held: `item` (borrowed) as a Lua value: kind, value (or slot, address).
local size = ffi.new("intptr_t[1]")
local function convert(item)
  local t = item.ob_type
  if t == T_STR then
    local s = C.PyUnicode_AsUTF8AndSize(item, size)
    if s == nil then
      C.PyErr_Clear()
      return SLOW
    end
    return VALUE, new_string(s, size[0])
  elseif t == T_FLOAT then
    return VALUE, cast(FloatP, item).ob_fval
  elseif t == T_INT then
    local v = C.PyLong_AsLongLong(item)
    if v == -1 and C.PyErr_Occurred() ~= nil then
      C.PyErr_Clear()
      return SLOW
    end
    return VALUE, tonumber(v)
  elseif item == P_NONE then
    return VALUE, nil
  elseif item == P_TRUE then
    return VALUE, true
  elseif item == P_FALSE then
    return VALUE, false
  elseif t == T_DICT or t == T_LIST or t == T_TUPLE then
    if arena.closed ~= 0 then return SLOW end
    local address = tonumber(cast(INTPTR, item))
    local slot, h = find(item, address)
    if slot >= 0 then
      local b = owners[slot]
      if b == PENDING then return SLOW end  -- being boxed by the access this one interrupted
      if b ~= nil then return VALUE, b end
      owners[slot] = PENDING  -- its box was dropped, the slot not swept yet: reused
      return NEWBOX, slot
    end
    slot = claim(item)
    owners[slot] = PENDING
    index_add(item, address, slot, h)
    return NEWBOX, slot
  end
  return SLOW
end

-- Interned key strings by Lua string, each a pinned arena slot.
local keys, nkeys, MAX_KEYS = {}, 0, 20000
local key_holder = ffi.new("ilupa_pyobject *[1]")
local function key_of(s)  -- GIL held; nil when Python cannot decode it
  local k = keys[s]
  if k ~= nil then return k end
  if nkeys >= MAX_KEYS then return nil end
  local o = C.PyUnicode_DecodeUTF8(s, #s, nil)
  if o == nil then
    C.PyErr_Clear()
    return nil
  end
  key_holder[0] = o
  C.PyUnicode_InternInPlace(key_holder)
  o = key_holder[0]
  local slot = claim(o)
  C.Py_DecRef(o)  -- the arena's reference is the one kept (a live str: nothing freed)
  pinned[slot] = true
  nkeys = nkeys + 1
  keys[s] = o
  return o
end

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
for _, address in next, given.pure_callables do pure_callables[address] = true end
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

-- A sweep walks the whole arena: it waits for as many new boxes as half the
-- arena, so that each box pays for about two slots of walking.
local function before_access()
  if made >= SWEEP_AFTER and made * 2 >= arena.top and finished_cycle[1] == nil then sweep() end
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
    if graves >= GRAVEYARD_SIZE - 1 then flush() end
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
      if graves >= GRAVEYARD_SIZE - 1 then flush() end
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
    made = SWEEP_AFTER
    sweep()
  end
  return result -- (LuaJIT's collectgarbage returns one value)
end

given.set_outgoing_cdata(function(v)
  if istype(Reference, v) then return (as_lupa(v)) end
  return v
end)

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

local function counts()
  local live = 0
  for s = 0, arena.top - 1 do
    if arena.items[s] ~= nil and not pinned[s] then live = live + 1 end
  end
  return live, graves
end

return {
  live = true,
  address_of = address_of,
  sweep = function() sweep() end,
  copy = copy,
  counts = counts,
}
