-- Where a cell's time goes: a sampling profiler (ilupa/profiler/sampling.py).
--
-- Given: `jit` (true on LuaJIT), `interval_ms` (LuaJIT's sampling interval),
-- `count` (PUC Lua: VM instructions between two samples).
-- Returns: `start(mode)` (LuaJIT: "f" or "l", see below), and `stop()` giving a result table
-- { lines = {["In[3]:5"] = seconds or samples}, functions = {...},
--   states = {N = n, I = n, ...} (LuaJIT), aborts = {{where, reason}, ...} (LuaJIT),
--   unit = "seconds" | "samples" }.
--
-- On LuaJIT `jit.profile` samples (its own timer, no debug hook: compiled code is
-- sampled too), and `jit.attach` on "trace" events lists trace aborts with reasons,
-- as -jv prints them. On PUC Lua a count hook set with the debug.sethook a user
-- sees: on 5.1 user_hooks.lua's dispatcher keeps the interrupt's hook going and
-- hides ilupa's frames; on 5.2-5.5 it is Lua's own hook, which an interrupt
-- replaces (the run stops anyway). Each sample is weighted by the CPU time since
-- the one before, so a line that calls a slow C function gets that time.
local given = ...
local OWN = "ilupa:"
local sub, find, concat = string.sub, string.find, table.concat
local getinfo, clock = debug.getinfo, os.clock

local function is_own(where)
  return sub(where, 1, #OWN) == OWN or sub(where, 1, #OWN + 1) == "=" .. OWN
end

local result

local function add(t, key, weight)
  t[key] = (t[key] or 0) + weight
end

if given.jit then
  local profile = require("jit.profile")
  local util = require("jit.util")
  local dumpstack = profile.dumpstack
  -- lj_traceerr.h of LuaJIT 2.1, in order (0-based): jit.vmdef is not shipped with lupa.
  local TRACE_ERRORS = {
    [0] = "error thrown or hook called during recording", "trace too short", "trace too long",
    "trace too deep", "too many snapshots", "blacklisted", "retry recording",
    "NYI: bytecode %s", "leaving loop in root trace", "inner loop in root trace",
    "loop unroll limit reached", "bad argument type", "JIT compilation disabled for function",
    "call unroll limit reached", "down-recursion, restarting", "NYI: FastFunc %s",
    "NYI: unsupported variant of FastFunc %s", "NYI: return to lower frame",
    "store with nil or NaN key", "missing metamethod", "looping index lookup",
    "NYI: mixed sparse/dense table", "symbol not in cache", "NYI: unsupported C type conversion",
    "NYI: unsupported C function type", "guard would always fail", "too many PHIs",
    "persistent type instability", "failed to allocate mcode memory", "machine code too long",
    "hit mcode limit (retrying)", "too many spill slots", "inconsistent register allocation",
    "NYI: cannot assemble IR instruction %s", "NYI: PHI shuffling too complex",
    "NYI: register coalescing too complex",
  }
  local BYTECODES = { [50] = "UCLO", [51] = "FNEW", [58] = "TNEW", [59] = "TDUP" }
  -- Builtins by their fast-function id, for "NYI: FastFunc %s".
  local builtin_names
  local function builtin_name(id)
    if builtin_names == nil then
      builtin_names = {}
      local libraries = { "", "string", "table", "math", "io", "os", "coroutine", "debug", "bit", "jit" }
      for _, library in ipairs(libraries) do
        local t = library == "" and _G or rawget(_G, library)
        if type(t) == "table" then
          for name, f in pairs(t) do
            if type(f) == "function" then
              local info = util.funcinfo(f)
              if info.ffid ~= nil and builtin_names[info.ffid] == nil then
                builtin_names[info.ffid] = library == "" and name or library .. "." .. name
              end
            end
          end
        end
      end
    end
    return builtin_names[id] or ("#" .. tostring(id))
  end
  local function reason_of(code, info)
    local text = TRACE_ERRORS[code] or ("trace error " .. tostring(code))
    if find(text, "%s", 1, true) then
      local detail = tostring(info)
      if code == 7 then detail = BYTECODES[info] or ("bytecode " .. tostring(info))
      elseif code == 15 or code == 16 then detail = builtin_name(info) end
      text = text:format(detail)
    end
    return text
  end
  local function on_trace(what, _, func, pc, code, info)
    -- Code 0 ("error thrown or hook called during recording") is mostly the
    -- profiler's own sample callback landing in a recording: not the user's to fix.
    if what ~= "abort" or code == 0 then return end
    local fi = util.funcinfo(func, pc)
    local where = (fi.source or "?"):gsub("^[=@]", "") .. ":" .. tostring(fi.currentline or 0)
    if is_own(fi.source or "") then return end
    local reason = reason_of(code, info)
    local key = where .. "\0" .. reason
    local seen = result.abort_index[key]
    if seen then
      seen.times = seen.times + 1
    else
      seen = { where = where, reason = reason, times = 1 }
      result.abort_index[key] = seen
      result.aborts[#result.aborts + 1] = seen
    end
  end
  local function on_sample(thread, samples, vmstate)
    local lines = dumpstack(thread, "pl\n", 6)
    local names = dumpstack(thread, "pf\n", 6)
    local line, name
    local i = 0
    local name_list = {}
    for n in names:gmatch("([^\n]*)\n") do name_list[#name_list + 1] = n end
    for l in lines:gmatch("([^\n]*)\n") do
      i = i + 1
      if not is_own(l) then
        if name == nil then name = name_list[i] end
        if sub(l, 1, 1) ~= "[" then line = l break end
      end
    end
    result.total = result.total + samples
    add(result.states, vmstate, samples)
    if line ~= nil then add(result.lines, line, samples) end
    if name ~= nil then add(result.functions, name, samples) end
  end
  -- `mode` "f" samples at function boundaries (free in compiled code; a sample's
  -- line is where it landed: a call or return), "l" at any line (exact lines, but
  -- LuaJIT then compiles a profile check into every line of a trace: ~50 % slower
  -- on the seed loop).
  local function start(mode)
    result = { lines = {}, functions = {}, states = {}, aborts = {}, abort_index = {},
      total = 0, unit = "samples" }
    jit.attach(on_trace, "trace")
    profile.start((mode or "f") .. "i" .. tostring(given.interval_ms or 1), on_sample)
  end
  local function stop()
    profile.stop()
    jit.attach(on_trace)
    local r = result
    r.abort_index = nil
    return r
  end
  return { start = start, stop = stop }
end

local sethook = debug.sethook -- the user's (user_hooks.lua on 5.1), at load time
local COUNT = given.count or 1000
local last = clock()

local function sample()
  local now = clock()
  local weight = now - last
  last = now
  local level, info = 2, nil
  repeat
    info = getinfo(level, "Sln")
    level = level + 1
  until info == nil or (info.what ~= "C" and info.what ~= "tail" and not is_own(info.source))
  result.total = result.total + weight
  if info == nil then return end
  local chunk = info.short_src
  add(result.lines, chunk .. ":" .. info.currentline, weight)
  local name = info.name or (info.what == "main" and "(cell)" or "(function)")
  add(result.functions, name .. " " .. chunk .. ":" .. info.linedefined, weight)
end

local function start()
  result = { lines = {}, functions = {}, states = {}, aborts = {}, total = 0, unit = "seconds" }
  last = clock()
  sethook(sample, "", COUNT)
end

local function stop()
  sethook()
  return result
end

return { start = start, stop = stop }
