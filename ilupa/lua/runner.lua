-- Runs a compiled cell and remembers where it failed.
-- A failing cell's error value becomes a message (tables and nil included),
-- except Python exceptions, which pass through unchanged so that lupa
-- re-raises them in Python with their own type and traceback.
-- A cell that ran out of memory is not re-raised: `run` returns
-- `out_of_memory, message` instead (see `finish`).
local is_python_exception, out_of_memory = ...
local traceback, type, tostring, error, xpcall, pcall, find =
  debug.traceback, type, tostring, error, xpcall, pcall, string.find

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

local function on_error(value)
  handled = true
  last_message = message_of(value)
  last_traceback = traceback("", 2)
  return last_message
end

-- Lua calls no message handler for a memory error, so an error that skipped
-- `on_error` is one (as is a handler that itself ran out of memory). It is
-- returned, not raised: raising anew at a full heap is unsafe (LuaJIT 2.1,
-- after FFI code ran, turns it into "error in error handling"). When the
-- handler failed otherwise (no stack left for the traceback after a stack
-- overflow), the cell's own error is raised, not "error in error handling".
-- LuaJIT skips the handler for a stack overflow met while the stack is
-- already at its maximum; that error is raised as it is.
local function finish(ok, ...)
  if ok then
    return ...
  end
  local message = ...
  if message == "not enough memory" then
    return out_of_memory, message
  end
  if not handled then
    if type(message) == "string" and find(message, "stack overflow", 1, true) then
      error(message, 0)
    end
    return out_of_memory, message
  end
  error(last_message, 0)
end

-- Cells that show a value pass it through here (see lua_source.py).
local function values(...)
  return ...
end

local runner = {}

function runner.run(chunk)
  last_traceback = nil
  last_message = nil
  handled = false
  return finish(xpcall(function() return chunk(values) end, on_error))
end

function runner.traceback()
  return last_traceback
end

return runner
