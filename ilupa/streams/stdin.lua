-- Lua's standard input reads through Python's input(), which ipykernel turns
-- into an input_request to the frontend when the cell allows stdin.
-- Each input() answer is one line; "a" (read all) takes one answer too,
-- since a notebook has no end of input.
local read_line = (...).read_line
local type, tonumber, select, error = type, tonumber, select, error
local sub = string.sub

local pending = nil -- the rest of a line a count read left

local function next_line()
  if pending ~= nil then
    local line = pending
    pending = nil
    return line
  end
  return read_line()
end

local function read_one(format)
  if type(format) == "number" then
    local line = pending or read_line()
    pending = nil
    if line == nil then return nil end
    if #line > format then
      pending = sub(line, format + 1)
    end
    return sub(line, 1, format)
  end
  format = sub(tostring(format), 1, 1) == "*" and sub(format, 2, 2) or sub(tostring(format), 1, 1)
  local line = next_line()
  if line == nil then return nil end
  if format == "l" or format == "a" then return line end
  if format == "L" then return line .. "\n" end
  if format == "n" then return tonumber(line) end
  error("bad argument to 'read' (invalid format)", 3)
end

local function read(...)
  local count = select("#", ...)
  if count == 0 then return read_one("l") end
  local results = {}
  for i = 1, count do
    results[i] = read_one((select(i, ...)))
    if results[i] == nil then
      return (table.unpack or unpack)(results, 1, i)
    end
  end
  return (table.unpack or unpack)(results, 1, count)
end

local stdin = setmetatable({}, {
  __name = "FILE*",
  __tostring = function() return "file (stdin)" end,
})
function stdin:read(...) return read(...) end
function stdin:lines(...)
  local formats = { n = select("#", ...), ... }
  return function() return read((table.unpack or unpack)(formats, 1, formats.n)) end
end
function stdin:close() return nil, "cannot close standard file" end
function stdin:write() return nil, "cannot write to stdin" end
function stdin:flush() return self end

local original_lines, original_input = io.lines, io.input
local current_input = stdin

io.stdin = stdin

function io.read(...)
  if current_input == stdin then return read(...) end
  return current_input:read(...)
end

function io.lines(filename, ...)
  if filename == nil then
    if current_input == stdin then return stdin:lines() end
    return current_input:lines()
  end
  return original_lines(filename, ...)
end

function io.input(file)
  if file == nil then return current_input end
  if file == stdin then
    current_input = stdin
  else
    current_input = original_input(file)
  end
  return current_input
end
