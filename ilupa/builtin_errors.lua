-- Errors raised inside ilupa's wrappers of Lua builtins read as the builtin's
-- own. A builtin raising an argument error names its caller's call site
-- ("bad argument #1 to 'create'") and its caller's chunk and line; called
-- from a wrapper, both are the wrapper's (`ilupa:interrupt:98: ... 'create'`
-- or `... to 'f'`). `rebuilt` gives the message again as the builtin would
-- have raised it had the user's code called it itself: ilupa's frames are
-- skipped, the name and position are taken from the first frame that is not
-- ilupa's, with luaL_argerror's rules for this runtime (methods count from
-- the self argument; on Lua 5.2+ a call with no name is named after the
-- global that holds the function, as lauxlib's pushglobalfuncname does).
--
-- Two ways in:
-- * `raise(builtin, ...)`: a wrapper that knows a call will fail (a
--   cheap test on the arguments) lets the builtin fail inside a pcall and
--   raises the rebuilt message; the wrapper's normal path costs nothing.
-- * `repositioned(thread, message)`: where ilupa catches errors (the
--   C-stack guard's pcall, xpcall and resume on LuaJIT) a message positioned
--   at one of ilupa's frames is rebuilt while that frame is still on the
--   stack (in the message handler, or on a dead coroutine's stack), so hot
--   wrappers (tostring, string.format) need no protected call of their own.
-- `argerror(n, text)` raises an argument error for a wrapper written
-- in Lua (io.write), with the same rules.
local getinfo, type, error, next, rawequal, tonumber, select, pcall =
  debug.getinfo, type, error, next, rawequal, tonumber, select, pcall
local match, sub, find = string.match, string.sub, string.find
local registry = debug.getregistry()
local VERSION = _VERSION
local JIT = rawget(_G, "jit") ~= nil
-- pushglobalfuncname: Lua 5.2 looks in the globals, 5.3+ in package.loaded
-- (and drops "_G."); Lua 5.1 and LuaJIT have no such fallback ("?").
local GLOBAL_NAMES = not JIT and VERSION ~= "Lua 5.1"
local SEARCHED = VERSION == "Lua 5.2" and 2 or "_LOADED"
local DROP_G = VERSION ~= "Lua 5.2"

-- The builtins as Lua made them, before any wrapper.
local builtins = {
  pcall = pcall, xpcall = xpcall, create = coroutine.create, wrap = coroutine.wrap,
  pairs = pairs, ipairs = ipairs, collectgarbage = collectgarbage,
}

local function ilupa_frame(info)
  return info ~= nil and info.what ~= "C" and sub(info.short_src, 1, 6) == "ilupa:"
end

local function global_name(f)
  local root = registry[SEARCHED]
  if type(root) ~= "table" then return nil end
  for key, value in next, root do
    if type(key) == "string" then
      if rawequal(value, f) then return key end
      if type(value) == "table" then
        for inner, item in next, value do
          if type(inner) == "string" and rawequal(item, f) then
            if DROP_G and key == "_G" then return inner end
            return key .. "." .. inner
          end
        end
      end
    end
  end
  return nil
end

-- The frames from `level` (an ilupa frame that called the builtin) out to
-- the first frame that is not ilupa's: the last but one is the frame the
-- user's code called, the last is the user's (or C's). `level` counts as
-- getinfo does in the caller of `snapshot`; with a thread, its own levels.
local function snapshot(thread, level)
  local frames = {}
  while true do
    local info
    if thread ~= nil then
      info = getinfo(thread, level, "nSlf")
    else
      info = getinfo(level + 1, "nSlf")
    end
    frames[#frames + 1] = info or false
    if #frames > 1 and not ilupa_frame(info) then return frames end
    level = level + 1
  end
end

-- `message` (no position) as the builtin would have raised it, called by the
-- user's frame instead of the ilupa frames in `frames`.
local function rebuilt(frames, message)
  local called, caller = frames[#frames - 1], frames[#frames]
  local position = ""
  if caller and caller.currentline > 0 then
    position = caller.short_src .. ":" .. caller.currentline .. ": "
  end
  local narg, text = match(message, "^bad argument #(%-?%d+) to '[^']*' %((.*)%)$")
  if narg == nil then return position .. message end
  narg = tonumber(narg)
  local name = called.name
  if called.namewhat == "method" then
    narg = narg - 1
    if narg == 0 then
      return position .. "calling '" .. name .. "' on bad self (" .. text .. ")"
    end
  end
  if name == nil then
    name = GLOBAL_NAMES and global_name(called.func) or "?"
  end
  return position .. "bad argument #" .. narg .. " to '" .. name .. "' (" .. text .. ")"
end

-- The builtin's results, or its error raised as if the caller of `raise`
-- had been the builtin (a wrapper that knows the call fails). Not to be
-- tail-called on Lua 5.2+: the wrapper's frame names the call.
local unpack = table.unpack or unpack
local function packed(...) return { n = select("#", ...), ... } end
local function raise(builtin, ...)
  local results = packed(pcall(builtin, ...))
  if results[1] then
    return unpack(results, 2, results.n)
  end
  local problem = results[2]
  if type(problem) == "string" and find(problem, "^bad argument #") then
    problem = rebuilt(snapshot(nil, 1), problem)
  end
  error(problem, 0)
end

-- An argument error of the caller of `argerror` (a wrapper written in Lua).
local function argerror(narg, text)
  error(rebuilt(snapshot(nil, 1), "bad argument #" .. narg .. " to '?' (" .. text .. ")"), 0)
end

-- The type name lauxlib's type errors use for `value` (Lua 5.3+: __name).
local getmetatable = debug.getmetatable
local NAMED = not JIT and VERSION ~= "Lua 5.1" and VERSION ~= "Lua 5.2"
local function typename(value, absent)
  if absent then return "no value" end
  if NAMED then
    local mt = getmetatable(value)
    local name = mt ~= nil and mt.__name
    if type(name) == "string" then return name end
  end
  return type(value)
end

-- luaL_where of the caller's caller (level 1 as a C function counts it).
local function where()
  local info = getinfo(3, "Sl")
  if info ~= nil and info.currentline > 0 then
    return info.short_src .. ":" .. info.currentline .. ": "
  end
  return ""
end

-- A message raised at an ilupa frame ("ilupa:name:line: ..."), rebuilt from
-- that frame while it is still on the stack; other values come back as they
-- are. Without a thread: the current stack (in a message handler); with
-- one: a coroutine that died of the error.
local function repositioned(thread, message)
  if type(message) ~= "string" then return message end
  local source, line, rest = match(message, "^(ilupa:[%w_]+):(%d+): (.*)$")
  if source == nil then return message end
  line = tonumber(line)
  local level = thread ~= nil and 0 or 2
  while true do
    local info
    if thread ~= nil then
      info = getinfo(thread, level, "Sl")
    else
      info = getinfo(level, "Sl")
    end
    if info == nil then return message end
    if info.short_src == source and info.currentline == line then
      return (rebuilt(snapshot(thread, level), rest))
    end
    level = level + 1
  end
end

local exported = {
  builtins = builtins,
  raise = raise,
  argerror = argerror,
  typename = typename,
  repositioned = repositioned,
  where = where,
}
registry["ilupa.builtin_errors"] = exported
return exported
