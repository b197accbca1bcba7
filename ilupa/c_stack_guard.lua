-- LuaJIT only: nesting that recurses on the C stack gets Lua's error instead
-- of ending the process. A C function that calls back into Lua (a coroutine
-- resume, a table.sort comparator, a string.gsub callback, __tostring through
-- tostring, a load reader, ...) takes C stack, and LuaJIT sets no limit there
-- (PUC Lua stops at 200 nested C calls with "C stack overflow"): unbounded
-- recursion through them kills the kernel (through __tostring, it hangs it).
--
-- One count covers them all, across coroutines, as PUC Lua's does: separate
-- limits per function would let 200 coroutines each nest 200 sorts. `level`
-- is how many guarded C calls are running now, in every coroutine of the
-- resume chain. Each guarded call puts back the level it found when it
-- returns. An error unwinding through guarded calls skips that, so whatever
-- stops an error puts the level back too: a resume, pcall and xpcall (the
-- cell runner's included), load (which catches its reader's errors). pcall
-- puts back its level relative to its coroutine's, since LuaJIT lets a
-- coroutine yield inside a pcall and be resumed from elsewhere. Past the limit
-- the real level is counted again before refusing: the guarded frames on this
-- coroutine's stack plus the level it was resumed at.
if not jit then return {} end

local LIMIT = 200
local OVERFLOW = "C stack overflow"
local error, type, setmetatable, rawget, select = error, type, setmetatable, rawget, select
local pcall, xpcall = pcall, xpcall
local getinfo, getmetatable = debug.getinfo, debug.getmetatable
local resume, running = coroutine.resume, coroutine.running
local repositioned = debug.getregistry()["ilupa.builtin_errors"].repositioned

local level = 0
local resumed_at = setmetatable({}, { __mode = "k" }) -- coroutine -> level inside it
local MAIN = {}
local guards = {} -- the guarded functions, to find their frames on a stack

local function recount(first)
  -- from `first` (default 3: skip recount and the guarded call asking)
  local count, depth = 0, first or 3
  while true do
    local info = getinfo(depth, "f")
    if info == nil then break end
    if guards[info.func] then count = count + 1 end
    depth = depth + 1
  end
  return count + (resumed_at[running() or MAIN] or 0)
end

local function leave(saved, ...)
  level = saved
  return ...
end
local own = { recount, leave } -- the guard's functions, returned for the sandbox's hook

-- One more level for a guarded call; the level to put back after it.
local function enter()
  local saved = level
  if saved >= LIMIT then
    saved = recount(4) -- skip enter too
    if saved >= LIMIT then error(OVERFLOW, 0) end -- as PUC Lua: no position
  end
  level = saved + 1
  return saved
end
own[#own + 1] = enter

-- The guarded functions. Each calls its builtin through a local of the
-- builtin's own name, so that tracebacks say `[C]: in function 'gsub'` (Lua
-- names a function by the call site that called it). An error the builtin
-- raises names the guard's frame as its position; the guard's pcall, xpcall
-- and resume rebuild it as raised from the user's frame (builtin_errors.lua),
-- so no guard needs a protected call. `may_nest(...)` says whether a call can
-- reach Lua again (nil: every call can). The hot ones (tostring,
-- string.format, string.gsub, table.sort) return their values without a tail
-- call: LuaJIT counts tail calls, also of built-in functions, against its
-- loop-unroll limit (15 in one trace), so a loop body calling a guarded
-- `tostring` 16 times would never compile.
local function has_metamethods(value)
  local kind = type(value)
  return (kind == "table" or kind == "userdata") and getmetatable(value) ~= nil
end

local function any_has_metamethods(...)
  for index = 1, select("#", ...) do
    if has_metamethods((select(index, ...))) then return true end
  end
  return false
end

local function guarded(f)
  guards[f] = true
  own[#own + 1] = f
  return f
end

-- Every standard C function of LuaJIT that calls Lua code: functions it is
-- given, or metamethods of its arguments. (pcall, xpcall and metamethods the
-- VM calls itself take no C stack in LuaJIT; __gc runs from the collector.)
do
  local gsub = string.gsub
  string.gsub = guarded(function(...)
    local _, _, replacement = ...
    local kind = type(replacement)
    if kind == "string" or kind == "number" then
      local first, second = gsub(...)
      return first, second
    end
    local saved = enter()
    local first, second = gsub(...)
    level = saved
    return first, second
  end)
end
do
  local sort = table.sort -- a comparator, or __lt of the elements
  table.sort = guarded(function(...)
    local saved = enter()
    sort(...)
    level = saved
  end)
end
do
  local tostring = tostring -- __tostring
  _G.tostring = guarded(function(...)
    if not has_metamethods((...)) then return (tostring(...)) end
    local saved = enter()
    local value = tostring(...)
    level = saved
    return value
  end)
end
do
  local format = string.format -- __tostring of `%s` arguments
  local function may_nest(_, ...) return (any_has_metamethods(...)) end
  string.format = guarded(function(...)
    if not may_nest(...) then return (format(...)) end
    local saved = enter()
    local value = format(...)
    level = saved
    return value
  end)
end
do
  local load = load -- a reader function
  _G.load = guarded(function(...)
    if type((...)) == "string" then return load(...) end
    return leave(enter(), load(...))
  end)
end
do
  local collectgarbage = collectgarbage -- finalizers that collect again
  _G.collectgarbage = guarded(function(...)
    return leave(enter(), collectgarbage(...))
  end)
end
if rawget(_G, "require") then
  local require = require -- a loader that requires again
  _G.require = guarded(function(...)
    return leave(enter(), require(...))
  end)
end

-- A coroutine runs one level deeper than the point that resumed it. Loaded
-- before the interrupt layer and the sandbox, whose `coroutine.wrap`s resume
-- through this `coroutine.resume`.
-- A coroutine that died of an error raised at a guard's frame keeps its
-- stack, from which the message is rebuilt.
local function resumed(saved, co, ok, ...)
  level = saved
  if ok then return true, ... end
  return false, (repositioned(co, (...)))
end

local resume_guard
resume_guard = function(co, ...)
  if type(co) ~= "thread" then return resume(co, ...) end -- its own error, at the caller
  local saved = level
  if saved >= LIMIT then
    saved = recount()
    if saved >= LIMIT then return false, OVERFLOW end
  end
  level = saved + 1
  resumed_at[co] = saved + 1
  return resumed(saved, co, resume(co, ...))
end
guards[resume_guard] = true
coroutine.resume = resume_guard

-- pcall and xpcall stop errors: they put the level back, relative to the
-- level of the coroutine they run in (which a yield and a resume may change).
-- Their message handler rebuilds a message raised at a guard's frame while
-- that frame is on the stack. A call the builtin refuses (no function, no
-- handler) goes to the builtin as it came, so that it raises its own error.
local function caught(thread, above, ...)
  level = (resumed_at[thread] or 0) + above
  return ...
end

local function rebuilt(message)
  return (repositioned(nil, message))
end

_G.pcall = function(...)
  local thread = running() or MAIN
  if select("#", ...) == 0 then pcall() end -- raises "value expected"
  return caught(thread, level - (resumed_at[thread] or 0), xpcall((...), rebuilt, select(2, ...)))
end

_G.xpcall = function(...)
  local thread = running() or MAIN
  local f, handler = ...
  if type(handler) ~= "function" or select("#", ...) < 2 then
    return caught(thread, level - (resumed_at[thread] or 0), xpcall(...))
  end
  return caught(thread, level - (resumed_at[thread] or 0),
    xpcall(f, function(message) return handler((repositioned(nil, message))) end, select(3, ...)))
end
own[#own + 1], own[#own + 2], own[#own + 3], own[#own + 4] = caught, _G.pcall, _G.xpcall,
  resume_guard
own[#own + 1], own[#own + 2] = resumed, rebuilt

-- The string metatable's __index is `string`: `s:gsub(...)` and
-- `s:format(...)` find the guarded functions there too.

-- The functions that run around user code: the sandbox's instruction hook
-- never raises inside them (an error there would escape the pcall it wraps).
return { functions = own }
