-- Routes Lua's print, io.write, io.stdout and io.stderr through Python's
-- sys.stdout and sys.stderr, so Lua output lands in the cell's output, in
-- order with Python's, instead of on the kernel's terminal.
local given = ...
local write_stdout, write_stderr = given.write_stdout, given.write_stderr
local tostring, select, type, pcall, error = tostring, select, type, pcall, error
local concat, format = table.concat, string.format
local original_output = io.output
local errors = debug.getregistry()["ilupa.builtin_errors"]
local argerror, typename = errors.argerror, errors.typename

-- Lua's own checks of write's arguments (strings and numbers), counted from
-- `first` as the builtin counts them (a method's self is #1), and raised as
-- the builtin raises them: at the caller's line, under the caller's name.
local function checked(first, ...)
  for i = 1, select("#", ...) do
    local value = select(i, ...)
    local kind = type(value)
    if kind ~= "string" and kind ~= "number" then
      argerror(first + i - 1, "string expected, got " .. typename(value))
    end
  end
end

-- Python receives text; bytes that are not UTF-8 are shown as Lua escapes.
local function escape_high_bytes(text)
  return (text:gsub("[\128-\255]", function(c) return format("\\%d", c:byte()) end))
end

local function send(writer, text)
  if not pcall(writer, text) then
    writer(escape_high_bytes(text))
  end
end

local function standard_stream(writer, name)
  local stream = {}
  function stream:write(...)
    if not rawequal(self, stream) then argerror(1, "FILE* expected, got " .. typename(self)) end
    checked(2, ...)
    local count = select("#", ...)
    local parts = {}
    for i = 1, count do
      parts[i] = tostring((select(i, ...)))
    end
    send(writer, concat(parts))
    return self
  end
  function stream:flush() return self end
  function stream:setvbuf() return true end
  function stream:close() return nil, "cannot close standard file" end
  function stream:seek() return nil, "cannot seek on " .. name end
  function stream:read() return nil, "cannot read from " .. name end
  function stream:lines() error("cannot read from " .. name, 2) end
  return setmetatable(stream, {
    __name = "FILE*",
    __tostring = function() return "file (" .. name .. ")" end,
  })
end

local stdout = standard_stream(write_stdout, "stdout")
local stderr = standard_stream(write_stderr, "stderr")
local current_output = stdout

function print(...)
  local count = select("#", ...)
  local parts = {}
  for i = 1, count do
    parts[i] = tostring((select(i, ...)))
  end
  send(write_stdout, concat(parts, "\t") .. "\n")
end

io.stdout, io.stderr = stdout, stderr

function io.output(file)
  if file == nil then
    return current_output
  end
  if file == stdout or file == stderr then
    current_output = file
  else
    current_output = original_output(file)
  end
  return current_output
end

function io.write(...)
  checked(1, ...)
  return current_output:write(...)
end

-- Tells Python whether a cell's value is one of these streams.
local function is_standard_stream(value)
  return rawequal(value, stdout) or rawequal(value, stderr)
end
return { is_standard_stream = is_standard_stream }
