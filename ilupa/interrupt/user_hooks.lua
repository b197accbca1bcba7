-- debug.sethook and debug.gethook as Lua's, with ilupa's own frames out of the user's sight.
--
-- A hook set by user code (a profiler, coverage, a step debugger, Lua's own
-- test suite) must see the user's code, its C calls and the builtins it
-- called, as in plain lupa: never the Lua functions of ilupa's layer (the
-- wrappers of a few builtins, LuaJIT's loop checks, the runner). So the hook
-- Lua holds is a dispatcher: it drops events raised in a function of an
-- `=ilupa:` chunk and hands every other event to the user's hook by a tail
-- call, so that inside the user's hook level 2 is the hooked function, as
-- in plain Lua. `debug.gethook` reports the user's hook, mask and count.
--
-- Loaded on Lua 5.1 and LuaJIT only, whose interrupt keeps a count hook on
-- (interrupt.lua) that must go on working under a user's hook: the dispatcher
-- also takes count events at the interrupt's count (or the user's, when the
-- user asked for one) and calls the interrupt's hook first; clearing the
-- user's hook puts the interrupt's hook back. On Lua 5.2 to 5.5 ilupa sets no
-- hook until an interrupt arrives (which then replaces whatever hook is set:
-- the run stops), so a user's hook is Lua's own there, exactly: called as a
-- hook (`namewhat` "hook"), with nothing of ilupa's around it.
local given = ...
local own = given.own_hook -- nil on Lua 5.2-5.5
local sethook, gethook, getinfo = debug.sethook, debug.gethook, debug.getinfo
local running, type, error, select, tostring = coroutine.running, type, error, select, tostring
local find, sub = string.find, string.sub
local setmetatable, rawget, next = setmetatable, rawget, next

-- The real sethook, for ilupa's own layer (retired_state.lua sets its call hook
-- directly: no dispatcher, and the interrupt's hook is gone from a retired state).
debug.getregistry()["ilupa.sethook"] = sethook

local MAIN = {} -- Lua 5.1's main thread (coroutine.running() gives nil there)
local records = setmetatable({}, { __mode = "k" }) -- thread -> the user's hook
local OWN_SOURCE = "=ilupa:"
local one_hook = rawget(_G, "jit") ~= nil -- LuaJIT keeps one hook for all its threads

local function key_of(thread)
  if one_hook then return MAIN end
  return thread or running() or MAIN
end

-- Events hidden from the user's hook: those of ilupa's Lua functions, of C
-- functions they call, and a line event that only repeats the line the user
-- was on because one of ilupa's functions ran just before it (LuaJIT, not
-- Lua 5.1, reports the caller's line again when a Lua function returns; the
-- builtin C function that ilupa's function stands for would not have made it).
local function is_own(level)
  local info = getinfo(level, "S")
  return info ~= nil and sub(info.source, 1, 7) == OWN_SOURCE, info
end
local last_function, last_line, after_own = nil, nil, false

local own_hook = own and own.hook
local function dispatch(event, line)
  local record = records[key_of()]
  if event == "count" then
    if own_hook then own_hook() end -- may stop the run
    if record == nil or record.count == 0 then return end
  elseif record == nil then
    return
  end
  local own_function, info = is_own(3)
  if own_function or (info ~= nil and info.what == "C" and is_own(4)) then
    after_own = true
    return
  end
  if event == "line" then
    local f = getinfo(2, "f").func
    local repeated = one_hook and after_own and f == last_function and line == last_line
    after_own = false
    if repeated then return end
    last_function, last_line = f, line
  else
    after_own = false
  end
  return record.hook(event, line)
end

-- The mask Lua would make of `mask`, in the order Lua's gethook gives it back.
local function normal_mask(mask)
  return (find(mask, "c", 1, true) and "c" or "") .. (find(mask, "r", 1, true) and "r" or "")
    .. (find(mask, "l", 1, true) and "l" or "")
end

local function install(thread, record)
  local args = thread ~= nil and { thread } or {}
  local n = #args
  if record == nil then
    if own_hook then
      args[n + 1], args[n + 2], args[n + 3] = own_hook, "", own.count()
      sethook((table.unpack or unpack)(args, 1, n + 3))
    else
      sethook((table.unpack or unpack)(args, 1, n))
    end
    return
  end
  local count = record.count
  if own_hook and count == 0 then count = own.count() end
  args[n + 1], args[n + 2], args[n + 3] = dispatch, record.mask, count
  sethook((table.unpack or unpack)(args, 1, n + 3))
end

-- The interrupt's hook changes its count through this while a user's hook is set.
if own then
  own.set_rehook(function(wanted)
    local record = records[key_of()]
    if record == nil then
      sethook(own_hook, "", wanted)
    elseif record.count == 0 then
      sethook(dispatch, record.mask, wanted)
    end
  end)
end

-- An interrupted run drops every user's hook, as lua.c's Ctrl-C does and as
-- Lua 5.2-5.5 lose theirs here (the interrupt replaces the hook): one that
-- loops would otherwise hang every later cell. Python calls it (guard.py).
local function drop_all()
  for key in next, records do
    records[key] = nil
    install(key ~= MAIN and key or nil, nil)
  end
end

local function type_name(value)
  local kind = type(value)
  return kind == "nil" and select("#", value) == 0 and "no value" or kind
end

function debug.sethook(...)
  local thread, first = nil, 1
  if type((...)) == "thread" then thread, first = (...), 2 end
  local hook, mask, count = select(first, ...)
  if hook == nil or hook == false then
    records[key_of(thread)] = nil
    install(thread, nil)
    return
  end
  if type(mask) ~= "string" and type(mask) ~= "number" then
    error(("bad argument #%d to 'sethook' (string expected, got %s)"):format(
      first + 1, select("#", ...) < first + 1 and "no value" or type(mask)), 2)
  end
  if type(hook) ~= "function" then
    error(("bad argument #%d to 'sethook' (function expected, got %s)"):format(
      first, type_name(hook)), 2)
  end
  count = count == nil and 0 or count
  if type(count) ~= "number" then
    error(("bad argument #%d to 'sethook' (number expected, got %s)"):format(
      first + 2, type(count)), 2)
  end
  mask = tostring(mask)
  local record = { hook = hook, mask = normal_mask(mask), count = count > 0 and count or 0 }
  if record.mask == "" and record.count == 0 then -- Lua turns such a hook off
    records[key_of(thread)] = nil
    install(thread, nil)
    return
  end
  records[key_of(thread)] = record
  install(thread, record)
end

function debug.gethook(thread)
  local key = key_of(thread)
  local record = records[key]
  local set = thread ~= nil and gethook(thread) or gethook()
  if record ~= nil and set ~= dispatch then -- an interrupt took the hook off (Lua 5.2+)
    records[key], record = nil, nil
  end
  if record ~= nil then
    return record.hook, record.mask, record.count
  end
  if own_hook then return nil, "", 0 end -- as Lua 5.1 and LuaJIT say of no hook
  if thread ~= nil then return gethook(thread) end
  return gethook()
end

return { dispatch = dispatch, drop_all = drop_all }
