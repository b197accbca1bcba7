-- Runs a compiled cell and remembers where it failed.
-- A failing cell's error value becomes a message (tables and nil included),
-- except Python exceptions, which pass through unchanged so that lupa
-- re-raises them in Python with their own type and traceback.
local is_python_exception = ...
local traceback, type, tostring, error, xpcall, pcall =
  debug.traceback, type, tostring, error, xpcall, pcall

local last_traceback = nil

local function describe(value)
  local ok, text = pcall(tostring, value)
  if not ok then
    text = "(__tostring failed: " .. tostring(text) .. ")"
  end
  return "(error object is a " .. type(value) .. " value: " .. text .. ")"
end

local function on_error(value)
  last_traceback = traceback("", 2)
  local kind = type(value)
  if kind == "string" then
    return value
  end
  if kind == "userdata" and is_python_exception(value) then
    return value
  end
  return describe(value)
end

local function finish(ok, ...)
  if not ok then
    error((...), 0)
  end
  return ...
end

-- Cells that show a value pass it through here (see lua_source.py).
local function values(...)
  return ...
end

local runner = {}

function runner.run(chunk)
  last_traceback = nil
  return finish(xpcall(function() return chunk(values) end, on_error))
end

function runner.traceback()
  return last_traceback
end

return runner
