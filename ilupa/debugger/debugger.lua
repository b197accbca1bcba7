-- The Lua half of the ilupa kernel's debugger (see ilupa/debugger/protocol.py).
--
-- A line hook, set with the `debug.sethook` users see (on Lua 5.1 and LuaJIT
-- ilupa's dispatcher keeps the interrupt's count hook going under it and
-- hides ilupa's own frames, interrupt/user_hooks.lua), stops where a
-- breakpoint is or where a step ends. Its fast path is one table read per
-- line: only a line that has a breakpoint in some chunk, or a step under way,
-- asks `debug.getinfo` where it is. A stop takes a snapshot of the user's
-- frames (their names, places, locals and upvalues: the values themselves,
-- nothing converted, no metamethod run) and calls Python's `paused`, which
-- answers the debugger's requests on this thread and returns how to go on:
-- "continue", "next", "stepIn" or "stepOut".
local given = ...
local paused = given.paused
local getinfo, getlocal, getupvalue = debug.getinfo, debug.getlocal, debug.getupvalue
local sethook, gethook = debug.sethook, debug.gethook
local sub, format, type, next, pcall, tostring = string.sub, string.format, type,
  next, pcall, tostring
local find = string.find
local setmetatable, rawget, load = setmetatable, rawget, load
local setfenv = rawget(_G, "setfenv")
local raw_getmetatable, raw_setmetatable = debug.getmetatable, debug.setmetatable
local mathtype = math.type
local jit = rawget(_G, "jit")

local OWN = "=ilupa:"
-- This file's functions and the globals, handed to Python with every stop: lupa
-- objects Python made before may read the wrong stack while a coroutine runs
-- (lupa keeps the state they were made in), those of the stop read the stopped
-- thread's. Filled at the end of the file.
local own = {}
local breakpoints = {} -- chunk source ("=In[3]") -> { [line] = breakpoint }
local any_line = {}    -- line -> true when some chunk has a breakpoint there
local mode = nil       -- nil: run to a breakpoint; "in", "over", "out": a step
local target = 0       -- the depth at which an "over" or "out" step stops
local armed = false
local jit_was_on = nil
local stop_on_errors = false
-- Python: true once the panel asked to pause or changed the breakpoints
local news_asked = given.news_asked
local refresh = given.refresh -- Python: the news (see `take_news`)
local LINES_PER_LOOK = 1000
local lines_to_look = LINES_PER_LOOK
local pausing = false -- a pause was asked where the user's code was not running

-- ilupa's own code, C, Lua 5.1's tail-call marks, and lupa's own chunks
-- ("<python>": what ilupa evaluates between cells, such as kernel_info's
-- runtime name) are never stopped in.
local LUPA_CHUNK = "<python>"
local function is_internal(info)
  return info.what == "C" or info.what == "tail" or sub(info.source, 1, #OWN) == OWN
    or info.source == LUPA_CHUNK
end

-- True while the panel's `evaluate` (or a breakpoint's condition) runs: no
-- stop inside it, the panel waits for its answer.
local evaluating = false

-- The level of the hooked function seen from the hook (2, or past Lua 5.1's
-- "(tail call)" level that ilupa's dispatcher, interrupt/user_hooks.lua,
-- leaves by tail-calling the hook). Levels here are one more than the hook's.
local function hooked_level()
  local level = 2
  while true do
    local info = getinfo(level + 1, "S")
    if info == nil or info.what ~= "tail" then return level end
    level = level + 1
  end
end

-- Levels of the stack below `from` (the hooked function's level, seen from the caller).
local function depth_from(from)
  local level = from
  while getinfo(level, "S") ~= nil do level = level + 1 end
  return level - from
end

-- What a stop shows of each user frame, from the hooked function (level `base`
-- seen from here) up: ilupa's own and C frames are left out.
local function snapshot(base)
  local frames = {}
  local level = base
  while true do
    local info = getinfo(level, "nSlf")
    if info == nil then break end
    if not is_internal(info) then
      local names, values = {}, {}
      local i = 1
      while true do
        local name, value = getlocal(level, i)
        if name == nil then break end
        if sub(name, 1, 1) ~= "(" then
          names[#names + 1], values[#names + 1] = name, value
        end
        i = i + 1
      end
      local upnames, upvalues = {}, {}
      local u = 1
      while info.func ~= nil do
        local name, value = getupvalue(info.func, u)
        if name == nil then break end
        upnames[u], upvalues[u] = name, value
        u = u + 1
      end
      frames[#frames + 1] = {
        name = info.name or (info.what == "main" and "main chunk") or "function",
        source = info.source, line = info.currentline,
        locals = { names = names, values = values, n = #names },
        upvalues = { names = upnames, values = upvalues, n = #upnames },
      }
    end
    level = level + 1
  end
  return frames
end

-- `from`: the hooked function's level seen from stop's caller (the hook).
local function stop(reason, line, from)
  pausing = false
  local frames = snapshot(from + 2)
  local depth = depth_from(from + 2)
  local command = paused({
    reason = reason, line = line, frames = frames, n = #frames, own = own, globals = _G,
  })
  if command == "next" then
    mode, target = "over", depth
  elseif command == "stepIn" then
    mode = "in"
  elseif command == "stepOut" then
    mode, target = "out", depth - 1
  else
    mode = nil
  end
end

local evaluate -- below: a breakpoint's condition is a Lua expression in the frame

-- Whether a breakpoint stops: its condition holds (an error counts as true, so
-- the user sees it) and its hit count passes its hit condition.
local function takes(breakpoint, from)
  if breakpoint.condition ~= nil then
    local frame = snapshot(from + 2)[1]
    local result = evaluate(breakpoint.condition, frame)
    if result.ok and not result.value then return false end
  end
  breakpoint.hits = breakpoint.hits + 1
  local hit = breakpoint.hit
  if hit == nil then return true end
  local op, n = hit.op, hit.n
  local hits = breakpoint.hits
  if op == "%" then return hits % n == 0 end
  if op == ">" then return hits > n end
  if op == "<" then return hits < n end
  if op == "<=" then return hits <= n end
  if op == "==" then return hits == n end
  return hits >= n
end

local set_breakpoints -- below

-- What the panel asked while the cell ran: the breakpoints as they are now, and
-- whether to pause (then the next line of the user's code stops). True when
-- there is something to stop for.
local function take_news()
  local news = refresh()
  set_breakpoints(news.spec, news.errors)
  if news.pause then mode, pausing = "in", true end
  return news.pause or news.any
end

local function hook(event, line)
  if evaluating then return end
  lines_to_look = lines_to_look - 1
  if lines_to_look <= 0 then
    lines_to_look = LINES_PER_LOOK
    if news_asked() then take_news() end
  end
  if mode == nil and any_line[line] == nil then return end
  local from = hooked_level()
  local info = getinfo(from, "S")
  if info == nil or is_internal(info) then return end
  local lines = breakpoints[info.source]
  local breakpoint = lines ~= nil and lines[line] or nil
  if breakpoint ~= nil and takes(breakpoint, from) then
    stop("breakpoint", line, from)
  elseif mode == "in" or (mode ~= nil and depth_from(from + 1) <= target) then
    stop(pausing and "pause" or "step", line, from)
  end
end

-- The runner's message handler calls this for an error no pcall caught
-- (runner.lua's `on_uncaught`): the stack is still where the error was raised.
local function uncaught(value)
  if news_asked() then take_news() end  -- "stop on errors" may have changed meanwhile
  if not stop_on_errors then return end
  local frames = snapshot(2)
  local text = type(value) == "string" and value or nil
  paused({
    reason = "exception", text = text, frames = frames, n = #frames, own = own, globals = _G,
  })
  mode = nil
end

-- Hooks are per coroutine on PUC Lua: while armed, every coroutine that runs
-- has the hook (interrupt.lua's `ilupa.coroutines`: those made so far on Lua
-- 5.2-5.5, and `watch` for each new one; Lua 5.1 keeps no list of them).
-- Disarming takes it off those it was set on. LuaJIT keeps one hook for all.
local coroutines = debug.getregistry()["ilupa.coroutines"]
local per_coroutine = jit == nil and coroutines ~= nil
local status = coroutine.status
local hooked = setmetatable({}, { __mode = "k" }) -- coroutines given the hook
local function hook_coroutine(co)
  if gethook(co) ~= hook then
    sethook(co, hook, "l")
    hooked[co] = true
  end
end

local function hook_coroutines(on)
  if not per_coroutine then return end
  if on then
    coroutines.watch = hook_coroutine
    for co in next, coroutines.made or {} do
      if status(co) ~= "dead" then hook_coroutine(co) end
    end
    return
  end
  coroutines.watch = nil
  for co in next, hooked do
    if status(co) ~= "dead" and gethook(co) == hook then sethook(co) end
  end
  hooked = setmetatable({}, { __mode = "k" })
end

-- Lua 5.2-5.5 name their main thread: the line hook goes on it too when the
-- debugger comes in inside a coroutine.
local main_thread = per_coroutine and coroutine.running() or nil

local arm -- below

-- The way in while no line hook is set (a pause, breakpoints set while the cell
-- runs): guard.py's knock. On Lua 5.1 and LuaJIT the interrupt's count hook and
-- loop checks call this (the registry's `ilupa.knocked`); on Lua 5.2-5.5 the
-- debug library's hook does, as the Lua hook of a thread whose door is left
-- open: `debug.sethook(thread, enter, "", 0)` stores the function but sets no
-- hook, so nothing runs until Python knocks (sets the library's hook on the
-- thread from the control thread). With nothing to stop for, the knock's hook
-- is closed again.
local function enter()
  if take_news() then
    arm(true)
  elseif main_thread ~= nil then
    sethook(enter, "", 0)
  end
end
debug.getregistry()["ilupa.knocked"] = enter

-- Lua 5.2's debug.gethook reports a thread's stored Lua hook even with no hook
-- set: an open door must read as no hook, as in plain Lua.
if main_thread ~= nil and _VERSION == "Lua 5.2" then
  local stored_gethook = gethook
  function debug.gethook(...)
    local f, mask, count = stored_gethook(...)
    if f == enter then f = nil end
    return f, mask, count
  end
end

local function leave_door(thread)
  if gethook(thread) == nil or gethook(thread) == enter then sethook(thread, enter, "", 0) end
end

-- Between cells (main thread): doors open on every live thread while the
-- debugger is attached and holds no breakpoint (Lua 5.2-5.5); `open` false
-- closes them (Lua 5.2's debug.gethook would show `enter`).
local function leave_doors(open)
  if main_thread == nil then return end
  local threads = { main_thread }
  for co in next, coroutines.made or {} do
    if status(co) ~= "dead" then threads[#threads + 1] = co end
  end
  for k = 1, #threads do
    local thread = threads[k]
    if open then
      leave_door(thread)
    elseif gethook(thread) == enter then
      sethook(thread)
    end
  end
  if open then
    coroutines.watch = leave_door
  elseif coroutines.watch == leave_door then
    coroutines.watch = nil
  end
end

-- Called by Python before each cell, on the thread that runs it: the hook is
-- set while any breakpoint is (LuaJIT runs interpreted meanwhile, since
-- compiled code calls no hooks), and again after an interrupt took it off.
function arm(wanted)
  if wanted then
    if jit ~= nil and not armed then
      jit_was_on = jit.status()
      jit.flush()
      jit.off()
    end
    armed = true
    sethook(hook, "l")
    if main_thread ~= nil then sethook(main_thread, hook, "l") end
    hook_coroutines(true)
  elseif armed then
    armed = false
    if gethook() == hook then sethook() end
    hook_coroutines(false)
    if jit ~= nil and jit_was_on then jit.on() end
  end
end

-- `spec`: { [chunk source] = { {line =, condition =, hit = {op =, n =}}, ... } },
-- `errors`: whether an uncaught error stops. A breakpoint that stays keeps its
-- hit count (Python hands the whole set again at each stop and cell).
function set_breakpoints(spec, errors)
  local before = breakpoints
  breakpoints, any_line = {}, {}
  for source, list in next, spec do
    local set, old = {}, before[source] or {}
    for k = 1, #list do
      local line = list[k].line
      local hits = old[line] and old[line].hits or 0
      set[line] = { condition = list[k].condition, hit = list[k].hit, hits = hits }
      any_line[line] = true
    end
    breakpoints[source] = set
  end
  stop_on_errors = errors and true or false
  mode = nil
end

-- A value as the debugger shows it, without running any of its metamethods.
local function address(value)
  local metatable = raw_getmetatable(value)
  if metatable ~= nil then raw_setmetatable(value, nil) end
  local text = tostring(value)
  if metatable ~= nil then raw_setmetatable(value, metatable) end
  return text
end

local LONGEST = 200
local function describe(value)
  local kind = type(value)
  if kind == "string" then
    if #value > LONGEST then return format("%q", sub(value, 1, LONGEST)) .. "...", kind end
    return format("%q", value), kind
  elseif kind == "number" then
    if mathtype and mathtype(value) == "integer" then return format("%d", value), kind end
    local text = format("%.14g", value)
    -- Lua 5.3+ writes a whole float as 2.0; earlier Lua and LuaJIT as 2
    if mathtype and not find(text, "[%.eEn]") then text = text .. ".0" end
    return text, kind
  elseif kind == "boolean" or kind == "nil" then
    return kind == "nil" and "nil" or (value and "true" or "false"), kind
  end
  return address(value), kind
end

-- The fields of a table by `next` (no __pairs, no __index): up to `limit` of them.
local function fields(t, limit)
  local keys, values, n = {}, {}, 0
  for k, v in next, t do
    n = n + 1
    if n > limit then break end
    keys[n], values[n] = k, v
  end
  return { keys = keys, values = values, n = n > limit and limit or n, more = n > limit }
end

-- Lua 5.1's load takes a function; loadstring and setfenv do what later load does.
local loadstring = rawget(_G, "loadstring")
local function compile(text, env)
  if setfenv ~= nil and loadstring ~= nil then
    local chunk, problem = loadstring(text, "=evaluate")
    if chunk ~= nil then setfenv(chunk, env) end
    return chunk, problem
  end
  return load(text, "=evaluate", "t", env)
end

-- An expression in a stopped frame: its locals, then its upvalues, then the globals.
function evaluate(expression, frame)
  local scope = {}
  if frame ~= nil then
    for k = frame.upvalues.n, 1, -1 do scope[frame.upvalues.names[k]] = frame.upvalues.values[k] end
    for k = 1, frame.locals.n do scope[frame.locals.names[k]] = frame.locals.values[k] end
  end
  local env = setmetatable({}, {
    __index = function(_, name)
      local value = scope[name]
      if value ~= nil then return value end
      return _G[name]
    end,
    __newindex = _G,
  })
  local chunk, problem = compile("return " .. expression, env)
  if chunk == nil then chunk, problem = compile(expression, env) end
  if chunk == nil then return { ok = false, message = problem } end
  local was_evaluating = evaluating
  evaluating = true
  local results = { pcall(chunk) }
  evaluating = was_evaluating
  if not results[1] then return { ok = false, message = tostring(results[2]) } end
  return { ok = true, value = results[2], n = #results - 1 }
end

own.arm, own.set_breakpoints, own.describe, own.fields = arm, set_breakpoints, describe, fields
own.evaluate, own.hook, own.uncaught, own.raw_get = evaluate, hook, uncaught, rawget
-- After each cell (Python, main thread): a step under way ends with the cell.
function own.cell_ended()
  mode, pausing, evaluating = nil, false, false
end
own.leave_doors = leave_doors
return own
