-- LuaJIT only: nesting that recurses on the C stack gets Lua's error instead
-- of ending the process. Each nested coroutine resume, each string.gsub
-- callback that calls gsub again and each __tostring that calls tostring
-- again takes C stack, and LuaJIT sets no limit there (PUC Lua stops at 200
-- C levels with "C stack overflow"): unbounded recursion through them kills
-- the kernel (through __tostring, it hangs it). All are held to that 200.
if not jit then return end

local LIMIT = 200
local OVERFLOW = "C stack overflow"
local error, type, setmetatable, rawget = error, type, setmetatable, rawget
local getinfo, getmetatable = debug.getinfo, debug.getmetatable
local resume, running = coroutine.resume, coroutine.running

-- A coroutine runs one level deeper than the thread that resumed it, whatever
-- it did before: there is no count to undo when errors unwind. Loaded before
-- the interrupt layer and the sandbox, whose `coroutine.wrap`s resume through
-- this `coroutine.resume`.
local depths = setmetatable({}, {__mode = "k"})
local MAIN = {}

local function guarded_resume(co, ...)
  if type(co) == "thread" then
    local depth = (depths[running() or MAIN] or 0) + 1
    if depth > LIMIT then return false, OVERFLOW end
    depths[co] = depth
  end
  return resume(co, ...)
end
coroutine.resume = guarded_resume

-- A function that can call back into Lua code calling it again (gsub with a
-- function replacement, tostring through __tostring) nests on one thread.
-- `nested` counts calls that have not returned; each call puts back the count
-- it found, and past the limit the real nesting is counted from the stack
-- (an error unwinding through calls can leave the count too high).
local function limited(f, may_nest)
  local nested = 0
  local guarded

  local function frames()
    local count, level = 0, 2
    while true do
      local info = getinfo(level, "f")
      if info == nil then return count end
      if info.func == guarded then count = count + 1 end
      level = level + 1
    end
  end

  local function leave(depth, ...)
    nested = depth
    return ...
  end

  guarded = function(...)
    if not may_nest(...) then return f(...) end
    local depth = nested
    if depth >= LIMIT then
      depth = frames() - 1  -- not counting this call
      if depth >= LIMIT then error(OVERFLOW, 0) end  -- as PUC Lua: no position
    end
    nested = depth + 1
    return leave(depth, f(...))
  end
  return guarded
end

string.gsub = limited(string.gsub, function(_, _, replacement)
  return type(replacement) == "function"
end)
tostring = limited(tostring, function(value)
  local mt = getmetatable(value)
  return mt ~= nil and type(mt) == "table" and rawget(mt, "__tostring") ~= nil
end)
