-- ilupa's sandbox: runs cells in an environment that holds only a safe part of Lua.
--
-- This chunk runs once in a Lua state of its own, before any untrusted code.
-- It keeps private references to what it needs (debug hooks, the real load),
-- builds the environment cells see, and returns the runner Python calls.
-- Nothing here hands a privileged value to code from a cell.
local write, instruction_limit, poll, guard_functions, long_loops = ...

local type, tostring, error, xpcall, select, next = type, tostring, error, xpcall, select, next
local rawget, rawset, setmetatable, getmetatable = rawget, rawset, setmetatable, getmetatable
local sethook, getinfo, gethook, traceback = debug.sethook, debug.getinfo, debug.gethook, debug.traceback
local coroutine_create, coroutine_resume = coroutine.create, coroutine.resume
local collectgarbage, concat, byte, find = collectgarbage, table.concat, string.byte, string.find
local sub = string.sub
local sort = table.sort
local clock, pcall = os.clock, pcall
local native_load, loadstring, setfenv = load, rawget(_G, "loadstring"), rawget(_G, "setfenv")
-- Loaded into this state with the C-stack guard: a builtin's own error, as if a cell called it.
local builtin_errors = debug.getregistry()["ilupa.builtin_errors"]
local raise, argerror, typename = builtin_errors.raise, builtin_errors.argerror,
  builtin_errors.typename
local function all_of(...) return ... end

-- Count hooks are not called in JIT-compiled LuaJIT code: interpret everything.
local jit = rawget(_G, "jit")
if jit then
  jit.off()
  jit.flush()
end

local HOOK_INTERVAL = 1000
local POLL_SECONDS = 0.05 -- CPU time between two questions to Python: "interrupted?"
local BUDGET_MESSAGE = "instruction budget exceeded"
local INTERRUPT_MESSAGE = "interrupted"
local used, exceeded, interrupted, polled_at = 0, false, false, 0
local internal = {} -- the runner's own functions: the hook never fails inside them
-- ...for at most this many instructions once over: a C function calling one of
-- them in a loop (`s:gsub(".", pcall)` on LuaJIT, whose C-stack guard's pcall is
-- one) would otherwise never return to the cell's code, where the hook fails.
local MAX_DEFERRED = 10000
local deferred = 0
local stopped_at = nil -- "chunk:line: " of the cell's code where the budget or stop ended it

-- The innermost frame of a cell's code above the hook (a C function or
-- ilupa's wrappers may be running): where the error message says it stopped.
local function place_of_cell_code()
  for level = 3, 60 do
    local info = getinfo(level, "Sl")
    if info == nil then return nil end
    if info.currentline > 0 and sub(info.short_src, 1, 6) ~= "ilupa:" then
      return info.short_src .. ":" .. info.currentline .. ": "
    end
  end
  return nil
end

-- The instruction count alone cannot stop a cell of few instructions that each
-- run long in C (`string.rep` of megabytes): the hook also asks Python, at
-- most every POLL_SECONDS of CPU time, whether the user pressed stop.
local function hook()
  local _, _, count = gethook()
  used = used + (count or HOOK_INTERVAL)
  if used > instruction_limit then
    exceeded = true
  end
  if not interrupted and not exceeded then
    local now = clock()
    if now - polled_at >= POLL_SECONDS then
      polled_at = now
      local ok, stop = pcall(poll)
      interrupted = not ok or stop == true
    end
  end
  if exceeded or interrupted then
    if internal[getinfo(2, "f").func] and deferred < MAX_DEFERRED then
      deferred = deferred + 1
      sethook(hook, "", 1) -- look again at the next instruction
      return
    end
    if stopped_at == nil then stopped_at = place_of_cell_code() end
    -- From now on every instruction of this thread fails, so no pcall can keep going.
    sethook(hook, "", 1)
    error(interrupted and INTERRUPT_MESSAGE or BUDGET_MESSAGE, 0)
  end
end

local function copy_of(library, left_out)
  local copy = {}
  for key, value in next, library do
    if not (left_out and left_out[key]) then
      copy[key] = value
    end
  end
  return copy
end

local env = {}
for _, name in next, {
  "assert", "error", "ipairs", "next", "pairs", "pcall", "rawequal", "rawget", "rawlen",
  "rawset", "select", "setmetatable", "getmetatable", "tonumber", "tostring", "type",
  "unpack", "xpcall", "_VERSION",
} do
  env[name] = rawget(_G, name)
end
env._G = env

-- Lua runs finalizers with hooks off (5.2-5.5: a `__gc` of a table), so neither
-- budget nor the stop button would reach one that loops or allocates, and one
-- could run after the cell, during the host's clean-up: the sandbox makes none.
-- (A `__gc` added to a metatable after `setmetatable` is never called: Lua marks
-- an object for finalization only when its metatable is set.)
-- Arguments pass on as given, and the builtin's errors name the cell's line.
local raw_getmetatable = debug.getmetatable
function env.setmetatable(...)
  local t, metatable = ...
  if type(metatable) == "table" and rawget(metatable, "__gc") ~= nil then
    error("setmetatable: finalizers (__gc) are not available in the sandbox: Lua runs them "
      .. "with hooks off, where no budget could bound them", 2)
  end
  local current = type(t) == "table" and raw_getmetatable(t) or nil
  if current ~= nil and rawget(current, "__metatable") ~= nil then
    error("cannot change a protected metatable", 2)  -- at the caller's line, as Lua's own
  end
  return (raise(setmetatable, ...))
end

-- A message handler called for the budget's or the interrupt's error runs
-- inside the hook, where hooks are off: once the cell is over its budget or
-- stopped, the error passes on without the user's handler. A "C stack
-- overflow" may come from calling the hook itself (200 nested C calls reached
-- just as it fires): Lua turned hooks off for the hook, and the handler would
-- run without any budget. That handler runs in a coroutine of its own, which
-- has the hook (or, with no C stack left for one, not at all).
local OVERFLOW = "C stack overflow"
local function handled_apart(handler, problem)
  local thread = coroutine_create(handler)
  sethook(thread, hook, "", HOOK_INTERVAL)
  local ok, result = coroutine_resume(thread, problem)
  if exceeded or interrupted then error(interrupted and INTERRUPT_MESSAGE or BUDGET_MESSAGE, 0) end
  if ok then return result end
  return problem
end

function env.xpcall(...)
  local body, handler = ...
  if type(handler) ~= "function" then
    -- The builtin refuses (LuaJIT: the C-stack guard's, tail-called, raises it as the builtin).
    if jit then return xpcall(...) end
    return all_of(raise(xpcall, ...)) -- raise is not tail-called: see `raise`
  end
  return xpcall(body, function(problem)
    if exceeded or interrupted then return problem end
    if type(problem) == "string" and sub(problem, -#OVERFLOW) == OVERFLOW then
      return handled_apart(handler, problem)
    end
    return handler(problem)
  end, select(3, ...))
end
env.string = copy_of(string, { dump = true })
env.table = copy_of(table)
if long_loops then -- Lua 5.3-5.5: builtins whose C loop no budget could end
  env.string.rep = long_loops.rep
  env.table.move, env.table.insert, env.table.remove =
    long_loops.move, long_loops.insert, long_loops.remove
end
if not long_loops and not jit then
  -- Lua 5.1, 5.2: rep of "" loops in C up to n times, as on 5.3+ (long_loops.lua's
  -- `sandbox_rep`, which this file cannot share: that one is written for 5.3+)
  local rep, to_number = string.rep, tonumber
  env.string.rep = function(...)
    local text, count, separator = ...
    if text == "" and (separator == nil or separator == "") and to_number(count) ~= nil then
      return ""
    end
    return (raise(rep, ...))
  end
end
if _VERSION == "Lua 5.1" and not jit then
  -- Lua 5.1 bounds no pattern's recursion: a pattern of 200,000 `a?` overflows the
  -- C stack and kills the process. Lua 5.2+ refuse one nested past 200 levels
  -- ("pattern too complex"); here a pattern with more than MAX_PATTERN_NESTING
  -- items that can nest (`?`, `*`, `+`, `-`, captures) is refused with the same
  -- words. Each adds at most one level; plain 5.1 copes with tens of thousands.
  local MAX_PATTERN_NESTING = 5000
  local gsub_count = string.gsub
  local function checked(builtin)
    return function(...)
      local _, pattern = ...
      if type(pattern) == "string" and #pattern > MAX_PATTERN_NESTING then
        local _, nesting = gsub_count(pattern, "[%?%*%+%-%(]", "")
        if nesting > MAX_PATTERN_NESTING then error("pattern too complex", 2) end
      end
      return all_of(raise(builtin, ...)) -- raise is not tail-called: see `raise`
    end
  end
  for _, name in next, { "find", "match", "gmatch", "gsub" } do
    env.string[name] = checked(string[name])
  end
end
env.math = copy_of(math)
env.utf8 = rawget(_G, "utf8") and copy_of(utf8)
env.os = { time = os.time, clock = os.clock, difftime = os.difftime }

-- Strings index the sandbox's string table, and their metatable is hidden.
local string_metatable = getmetatable("")
string_metatable.__index = env.string
string_metatable.__metatable = false
string.dump = nil

-- Hooks are per coroutine in PUC Lua: every coroutine made in the sandbox gets one.
-- LuaJIT's hook is one for the whole state, so setting it again would only
-- restart its count (a loop making coroutines would never reach the budget).
local hooks_are_global = jit ~= nil
local function create(...)
  local body = ...
  if type(body) ~= "function" then raise(coroutine_create, ...) end  -- the builtin's error
  local thread = coroutine_create(body)
  if not hooks_are_global then
    sethook(thread, hook, "", HOOK_INTERVAL)
  end
  return thread
end
local function resumed(ok, ...)
  if not ok then
    error((...), 0)
  end
  return ...
end
local function wrap(...)
  local body = ...
  if type(body) ~= "function" then raise(coroutine_create, ...) end  -- named 'wrap'
  local thread = create(body)
  return function(...)
    return resumed(coroutine_resume(thread, ...))
  end
end
env.coroutine = copy_of(coroutine)
env.coroutine.create, env.coroutine.wrap = create, wrap

function env.collectgarbage(option)
  if option == nil or option == "collect" or option == "count" then
    return collectgarbage(option)
  end
  error("collectgarbage: only \"collect\" and \"count\" are allowed in the sandbox", 2)
end

-- The sandbox loads no module: a module is a file or native code from outside it.
-- Its own libraries are there already, and `require` of their names returns them.
local own_libraries = { "string", "table", "math", "utf8", "coroutine", "os", "_G" }
function env.require(name)
  for _, library in next, own_libraries do
    if name == library and env[library] ~= nil then return env[library] end
  end
  error("module '" .. tostring(name) .. "' cannot be loaded in the sandbox: sandboxed cells "
    .. "load no files and no native code (only its own string, table, math, utf8, coroutine "
    .. "and os are there); run the cell without --sandbox to use Lua libraries", 2)
end

function env.print(...)
  local parts = {}
  for index = 1, select("#", ...) do
    parts[index] = tostring((select(index, ...)))
  end
  write(concat(parts, "\t") .. "\n")
end

local function compile(text, name, chunk_env)
  if byte(text, 1) == 27 then
    return nil, "attempt to load a binary chunk (the sandbox loads text only)"
  end
  if setfenv then -- Lua 5.1 and LuaJIT
    local chunk, message = loadstring(text, name)
    if chunk then
      setfenv(chunk, chunk_env)
    end
    return chunk, message
  end
  return native_load(text, name, "t", chunk_env)
end

function env.load(...)
  local chunk, name, mode, chunk_env = ...
  if mode == "b" then
    return nil, "attempt to load a text chunk (the sandbox loads text only)"
  end
  if type(chunk) == "function" then
    -- as Lua's load: a reader's error, or a piece that is no string, is load's
    -- failure (nil and the message), not an error
    local pieces = {}
    while true do
      local ok, piece = pcall(chunk)
      if not ok then
        return nil, piece
      end
      if piece == nil or piece == "" then
        break
      end
      if type(piece) ~= "string" then
        return nil, "reader function must return a string"
      end
      pieces[#pieces + 1] = piece
    end
    chunk = concat(pieces)
    name = name or "=(load)"
  elseif type(chunk) == "string" or type(chunk) == "number" then
    chunk = tostring(chunk)  -- as Lua 5.2+'s load, a number is its text
    name = name or chunk  -- and the chunk is named after its text ([string "..."])
  else
    argerror(1, "function expected, got " .. typename(chunk, select("#", ...) == 0))
  end
  if chunk_env == nil then
    chunk_env = env
  end
  return compile(chunk, name, chunk_env)
end

-- Values leave the sandbox as plain data: no metatables, no functions, no cycles.
local MAX_DEPTH = 100
local MAX_ENTRIES = 100000

local function plain(value, depth, on_path, counter)
  local kind = type(value)
  if kind == "number" or kind == "string" or kind == "boolean" or kind == "nil" then
    return value
  end
  if kind ~= "table" then
    return "<" .. kind .. ">"
  end
  if on_path[value] then
    return "<cycle>"
  end
  if depth >= MAX_DEPTH then
    return "<table nested too deep>"
  end
  on_path[value] = true
  local copy = {}
  for key, item in next, value do
    counter[1] = counter[1] + 1
    if counter[1] > MAX_ENTRIES then
      error("the value has more than " .. MAX_ENTRIES .. " entries to copy out of the sandbox", 0)
    end
    local plain_key = type(key) == "table" and "<table>" or plain(key, depth + 1, on_path, counter)
    copy[plain_key] = plain(item, depth + 1, on_path, counter)
  end
  on_path[value] = nil
  return copy
end

-- Linear in the number of values: `select(index, ...)` in the loop made a cell
-- returning 300,000 values copy for minutes, in the runner, which no budget stops.
local function plain_values(...)
  local count = select("#", ...)
  local copies, given_values = { n = count }, { ... }
  for index = 1, count do
    copies[index] = plain(given_values[index], 0, {}, { 0 })
  end
  return copies
end

local last_traceback = nil

local function on_error(value)
  if not exceeded then
    last_traceback = traceback("", 2)
  end
  if type(value) == "string" then
    return value
  end
  -- Never tostring an error object: its __tostring is code from the cell.
  return "(error object is a " .. type(value) .. " value)"
end

-- Cells that show a value pass it through here (see source/cells.py).
local function values(...)
  return ...
end

-- Python calls `prepare` (the code, and a note of the globals before the
-- cell) with the memory budget lifted, then `run` under the budget, then
-- `outcome` lifted again: lupa's own steps around a call (making strings of
-- the arguments, references to the results) run outside any protected call,
-- where an allocation the budget refuses would abort the process. `run` takes
-- no argument and returns a constant string, so nothing of it allocates
-- outside the protected call.
local pending_code, pending_name, last_outcome = nil, nil, nil
local globals_before = {}

local function prepare(code, name)
  pending_code, pending_name, last_outcome = code, name, nil
  globals_before = {}
  for key in next, env do
    globals_before[key] = true
  end
end

local function is_out_of_memory(message)
  return type(message) == "string" and find(message, "not enough memory", 1, true) ~= nil
end

local function finish(ok, value)
  sethook()
  if interrupted then
    return "interrupted"
  end
  if exceeded then
    return "instructions"
  end
  last_outcome = value
  if ok then
    return "ok"
  end
  if is_out_of_memory(value) then
    return "memory"
  end
  return "error"
end

local function run()
  used, exceeded, interrupted, polled_at, last_traceback = 0, false, false, clock(), nil
  deferred = 0
  stopped_at = nil
  local code, name = pending_code, pending_name
  pending_code, pending_name = nil, nil
  local chunk, message = compile(code, name, env)
  if not chunk then
    last_outcome = message
    return is_out_of_memory(message) and "memory" or "syntax"
  end
  sethook(hook, "", HOOK_INTERVAL)
  return finish(xpcall(function() return plain_values(chunk(values)) end, on_error))
end

-- Python calls this after every run, however it ended: a run that failed
-- outside its xpcall (out of memory there) must not leave the hook behind.
local function stop_hook()
  sethook()
end

local function outcome()
  local value = last_outcome
  last_outcome = nil
  if stopped_at ~= nil then value = stopped_at end -- a budget or the stop ended the run
  return value
end

-- After a cell ran out of memory: the globals it created go, so that the
-- sandbox works again (those set by earlier cells stay).
local function drop_new_globals()
  local dropped = {}
  for key in next, env do
    if not globals_before[key] then
      dropped[#dropped + 1] = key
    end
  end
  local count = #dropped
  for index = 1, count do rawset(env, dropped[index], nil) end
  -- a few names and the count of the rest: a cell may have made millions
  local named = {}
  for index = 1, count < 10 and count or 10 do
    local key = dropped[index]
    named[index] = type(key) == "string" and key or "<" .. type(key) .. ">"
  end
  sort(named)
  return concat(named, ", "), count
end

local function global_value(name)
  return plain_values(rawget(env, name))
end

local function set_global(name, value)
  rawset(env, name, value)
end

for _, fn in next, {
  run, finish, on_error, plain, plain_values, values, hook, prepare, outcome, stop_hook,
  drop_new_globals, global_value, set_global,
} do
  internal[fn] = true
end
for _, fn in next, guard_functions or {} do -- the C-stack guard's (LuaJIT)
  internal[fn] = true
end

return {
  prepare = prepare,
  run = run,
  outcome = outcome,
  stop_hook = stop_hook,
  drop_new_globals = drop_new_globals,
  global_value = global_value,
  set_global = set_global,
  traceback = function() return last_traceback end,
  used = function() return used end,
}
