-- Runs what ilupa runs in Lua for the user (a cell, or a Lua function Python
-- called) and remembers where it failed. Driven by ilupa/cell_run.py.
--
-- It never raises: a failure is returned as `failed, kind, value`, where kind
-- is "error" (value: a message, or a Python exception that passed through
-- Lua, unchanged so that Python raises it with its own type and frames),
-- "memory" (the call ran out of memory) or "syntax" (a cell that does not
-- compile: value is Lua's message). Raising at a full heap is unsafe
-- (LuaJIT 2.1, after FFI code ran, turns it into "error in error handling";
-- lupa's own handler builds a traceback), so Python builds the errors.
--
-- The budget: Python lifts lupa's memory budget before it calls in, so that
-- pushing the arguments cannot fail outside a protected call (Lua then
-- aborts the process: "PANIC: unprotected error in call to Lua API").
-- `restore` puts the budget back once Lua runs; `lift` takes it off again
-- before returning, so that lupa can take the results (a registry reference
-- per table or function) even when the call left the heap full.
-- `remember(level)` (ilupa/memory/new_globals.lua) snapshots the globals before
-- the user's Lua runs, at the nesting level Python gives.
local given = ...
local is_python_exception, failed, remember = given.is_python_exception, given.failed, given.remember
local traceback, type, tostring, xpcall, pcall, find, select =
  debug.traceback, type, tostring, xpcall, pcall, string.find, select
local unpack = table.unpack or unpack
-- lupa's own call of Python objects, taken before the proxy layer extends it.
local raw_call = debug.getregistry().POBJECT.__call

local last_traceback = nil
local last_message = nil
local handled = false

local function describe(value)
  local ok, text = pcall(tostring, value)
  if not ok then
    text = "(__tostring failed: " .. tostring(text) .. ")"
  end
  return "(error object is a " .. type(value) .. " value: " .. text .. ")"
end

local function message_of(value)
  local kind = type(value)
  if kind == "string" then
    return value
  end
  if kind == "userdata" and is_python_exception(value) then
    return value
  end
  return describe(value)
end

local runner = {}

-- The traceback is taken first, by one C call: the interrupt's count hook can
-- fire in the Lua code that describes the error (a `__tostring`), and an error
-- raised there ends this handler; where Lua stopped is known by then.
local function on_error(value)
  handled = true
  -- kept as it is in case the handler fails before it describes the value (no
  -- stack left for the traceback after a stack overflow): the error still says why
  last_message = value
  last_traceback = traceback("", 2)
  local uncaught = runner.on_uncaught  -- the kernel's debugger, stopping on an error
  if uncaught ~= nil then uncaught(value) end
  last_message = message_of(value)
  return last_message
end

-- Lua calls no message handler for a memory error, so an error that skipped
-- `on_error` is one (as is a handler that itself ran out of memory). When the
-- handler failed otherwise (no stack left for the traceback after a stack
-- overflow), the call's own error is reported, not "error in error handling".
-- LuaJIT skips the handler for a stack overflow met while the stack is
-- already at its maximum; that error is reported as it is.
local GC_ERROR = "error in __gc metamethod"
local function finish(ok, ...)
  if ok then
    return ...
  end
  local message = ...
  if message == "not enough memory" then
    return failed, "memory", message
  end
  if not handled then
    -- Lua 5.2 and 5.3 raise an error of a finalizer run by a collection step
    -- with no message handler either (status LUA_ERRGCMM): an error, not memory.
    if type(message) == "string" and (find(message, "stack overflow", 1, true)
        or find(message, GC_ERROR, 1, true) == 1) then
      return failed, "error", message
    end
    return failed, "memory", message
  end
  return failed, "error", last_message
end

-- `handled` is cleared for the caller: a nested call (Lua -> Python -> Lua)
-- runs and ends while its caller has not failed.
local function lifted(lift, ...)
  handled = false
  if lift ~= nil then
    raw_call(lift)
  end
  return ...
end

local function start(restore, level)
  remember(level)  -- before the budget is in force: the snapshot cannot fail
  last_traceback = nil
  last_message = nil
  handled = false
  if restore ~= nil then
    raw_call(restore)
  end
end

-- Cells that show a value pass it through here (see source/cells.py).
local function values(...)
  return ...
end


-- LuaJIT: ilupa's own set-up and run bookkeeping (the globals snapshot loops
-- over _G) may leave traces behind; the first cell finds none, as the first
-- chunk of a plain lupa state does.
local jit = rawget(_G, "jit")
local fresh = jit ~= nil

-- A cell is compiled here, inside the run, and before the budget is in force
-- (a full heap is no syntax error): a collection step the compile starts can
-- run a user's looping __gc, and the stop button reaches it only in a run.
-- A syntax error comes back as `failed, "syntax", message`.
local load_text = loadstring or load  -- Lua 5.1's load takes a reader function

function runner.run(restore, lift, level, code, name)
  local chunk, problem = load_text(code, name)
  if chunk == nil then
    return lifted(lift, failed, "syntax", problem)
  end
  start(restore, level)
  if fresh then
    fresh = false
    jit.flush()
  end
  return lifted(lift, finish(xpcall(function() return chunk(values) end, on_error)))
end

function runner.call(restore, lift, level, f, ...)
  local n, args = select("#", ...), { ... }
  start(restore, level)
  return lifted(lift, finish(xpcall(function() return f(unpack(args, 1, n)) end, on_error)))
end

function runner.traceback()
  return last_traceback
end

-- The message handler itself, for the interrupt's count hook: it must not
-- raise inside it, where the traceback has not been taken yet.
runner.message_handler = on_error

return runner
