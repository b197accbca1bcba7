-- Reference boxes (ffi_c_api.lua says how the four files fit): an FFI struct
-- holding the slot of a strong reference in the arena, the index of boxed
-- objects by address, the sweep that releases what dropped boxes held, and
-- `convert`, which makes an item a Lua value or a box.
local given = ...
local python, api = given.python, given.api
local type, tonumber, error, pcall, setmetatable =
  type, tonumber, error, python.raw_pcall, setmetatable
local ffi, C, cast, new_string, PyObjectP, ListP =
  api.ffi, api.C, api.cast, api.new_string, api.PyObjectP, api.ListP
local FloatP, LupaP, I32P, INTPTR, take_step, give_step =
  api.FloatP, api.LupaP, api.I32P, api.INTPTR, api.take_step, api.give_step
local object, T_DICT, T_LIST, T_TUPLE, T_STR, T_INT =
  api.object, api.T_DICT, api.T_LIST, api.T_TUPLE, api.T_STR, api.T_INT
local T_FLOAT, P_NONE, P_TRUE, P_FALSE =
  api.T_FLOAT, api.P_NONE, api.P_TRUE, api.P_FALSE

local POBJECT = debug.getregistry().POBJECT
local object_at, bury = python.object_at, python.bury
local arena = cast("ilupa_arena *", python.arena)
local SLOW, VALUE, NEWBOX, END = 0, 1, 2, 3

local Reference  -- the box type: ffi_references.lua makes it (set_box_type)

-- The box of each slot (weak: a dropped box leaves it); PENDING while one is made.
local owners = setmetatable({}, { __mode = "v" })
local PENDING = {}
local free, nfree = {}, 0
local pinned = {}   -- slots of cached key strings: never swept
local made, SWEEP_AFTER = 0, 1024  -- boxes made since the last sweep; fewer: no sweep
local finished_cycle = setmetatable({}, { __mode = "v" })
finished_cycle[1] = {}  -- gone once a collection cycle finished

local graveyard = cast(ListP, python.graveyard)
local GRAVEYARD_SIZE = python.graveyard_size
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

-- A sweep walks the whole arena: it waits for as many new boxes as half the
-- arena, so that each box pays for about two slots of walking.
local function before_access()
  if made >= SWEEP_AFTER and made * 2 >= arena.top and finished_cycle[1] == nil then sweep() end
end

-- Before a write or a call that may bury references: room in the graveyard.
local function make_room()
  if graves >= GRAVEYARD_SIZE - 1 then flush() end
end

-- An explicit collection (collectgarbage()): a sweep now, however few boxes were made.
local function collect_sweep()
  made = SWEEP_AFTER
  sweep()
end

local function set_box_type(box_type) Reference = box_type end

local function counts()
  local live = 0
  for s = 0, arena.top - 1 do
    if arena.items[s] ~= nil and not pinned[s] then live = live + 1 end
  end
  return live, graves
end

return {
  SLOW = SLOW,
  VALUE = VALUE,
  NEWBOX = NEWBOX,
  END = END,
  POBJECT = POBJECT,
  arena = arena,
  owners = owners,
  box_object = box_object,
  lupa_object = lupa_object,
  new_box = new_box,
  convert = convert,
  key_of = key_of,
  inter = inter,
  flush = flush,
  sweep = sweep,
  before_access = before_access,
  make_room = make_room,
  collect_sweep = collect_sweep,
  set_box_type = set_box_type,
  counts = counts,
}
