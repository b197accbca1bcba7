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

-- `f` guarded: calls that may reach Lua again (`may_nest(...)`, or every call
-- when it is nil) count one level. With `results` (how many values `f`
-- always returns) the guard returns them without a tail call: LuaJIT counts
-- tail calls, also of built-in functions, against its loop-unroll limit (15
-- in one trace), so a loop body calling a guarded `tostring` 16 times would
-- never compile.
local function limited(f, may_nest, results)
  local guarded
  if results == 0 then
    guarded = function(...)
      if may_nest == nil or may_nest(...) then
        local saved = enter()
        f(...)
        level = saved
      else
        f(...)
      end
    end
  elseif results == 1 then
    guarded = function(...)
      if may_nest ~= nil and not may_nest(...) then return (f(...)) end
      local saved = enter()
      local value = f(...)
      level = saved
      return value
    end
  elseif results == 2 then
    guarded = function(...)
      if may_nest ~= nil and not may_nest(...) then
        local first, second = f(...)
        return first, second
      end
      local saved = enter()
      local first, second = f(...)
      level = saved
      return first, second
    end
  else
    guarded = function(...)
      if may_nest ~= nil and not may_nest(...) then return f(...) end
      return leave(enter(), f(...))
    end
  end
  guards[guarded] = true
  own[#own + 1] = guarded
  return guarded
end

-- A coroutine runs one level deeper than the point that resumed it. Loaded
-- before the interrupt layer and the sandbox, whose `coroutine.wrap`s resume
-- through this `coroutine.resume`.
local resume_guard
resume_guard = function(co, ...)
  if type(co) ~= "thread" then return resume(co, ...) end
  local saved = level
  if saved >= LIMIT then
    saved = recount()
    if saved >= LIMIT then return false, OVERFLOW end
  end
  level = saved + 1
  resumed_at[co] = saved + 1
  return leave(saved, resume(co, ...))
end
guards[resume_guard] = true
coroutine.resume = resume_guard

-- pcall and xpcall stop errors: they put the level back, relative to the
-- level of the coroutine they run in (which a yield and a resume may change).
local function caught(thread, above, ...)
  level = (resumed_at[thread] or 0) + above
  return ...
end

_G.pcall = function(f, ...)
  local thread = running() or MAIN
  return caught(thread, level - (resumed_at[thread] or 0), pcall(f, ...))
end

_G.xpcall = function(f, handler, ...)
  local thread = running() or MAIN
  return caught(thread, level - (resumed_at[thread] or 0), xpcall(f, handler, ...))
end
own[#own + 1], own[#own + 2], own[#own + 3], own[#own + 4] = caught, _G.pcall, _G.xpcall,
  resume_guard

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

-- Every standard C function of LuaJIT that calls Lua code: functions it is
-- given, or metamethods of its arguments. (pcall, xpcall and metamethods the
-- VM calls itself take no C stack in LuaJIT; __gc runs from the collector.)
string.gsub = limited(string.gsub, function(_, _, replacement)
  return type(replacement) ~= "string" and type(replacement) ~= "number"
end, 2)
table.sort = limited(table.sort, nil, 0) -- a comparator, or __lt of the elements
tostring = limited(tostring, has_metamethods, 1) -- __tostring
string.format = limited(string.format, function(_, ...) return (any_has_metamethods(...)) end, 1)
load = limited(load, function(chunk) return type(chunk) ~= "string" end) -- a reader function
collectgarbage = limited(collectgarbage) -- finalizers that collect again
if rawget(_G, "require") then
  require = limited(require) -- a loader that requires again
end

-- The string metatable's __index is `string`: `s:gsub(...)` and
-- `s:format(...)` find the guarded functions there too.

-- The functions that run around user code: the sandbox's instruction hook
-- never raises inside them (an error there would escape the pcall it wraps).
return { functions = own }
