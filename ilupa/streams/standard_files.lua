-- Where io.stdout, io.stderr and io.stdin keep their FILE*, for ilupa/streams/:
-- the address of each file's payload (the FILE* is its first field on every
-- version), read with the FILE* metatable's __tostring and __name set aside
-- for a moment, so tostring gives the raw address. Runs before any user code,
-- so no metatable or __tostring can be forged yet. print, io.write, io.read and
-- the files themselves stay Lua's own.
local rawget, rawset, rawequal, tostring, getmetatable = rawget, rawset, rawequal, tostring,
  getmetatable
local stdout, stderr, stdin = io.stdout, io.stderr, io.stdin

local function payload_address(file)
  local metatable = getmetatable(file)
  local own_tostring, own_name = rawget(metatable, "__tostring"), rawget(metatable, "__name")
  rawset(metatable, "__tostring", nil)
  rawset(metatable, "__name", nil)
  local text = tostring(file)
  rawset(metatable, "__tostring", own_tostring)
  rawset(metatable, "__name", own_name)
  return (text:match("0x%x+") or text:match("%x+$"))
end

-- Tells Python whether a cell's value is io.stdout or io.stderr (what io.write returns).
local function is_standard_stream(value)
  return rawequal(value, stdout) or rawequal(value, stderr)
end

return {
  stdout = payload_address(stdout),
  stderr = payload_address(stderr),
  stdin = payload_address(stdin),
  is_standard_stream = is_standard_stream,
}
