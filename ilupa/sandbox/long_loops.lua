-- Builtins of Lua 5.3-5.5 whose C loop can run for hours with no allocation
-- (so no memory budget) and no hook (C calls no hook, so no instruction
-- budget and no stop button): the sandbox's versions.
--
-- * string.rep of an empty string, with an empty separator: `rep('', 2^50)`
--   loops 2^50 times to make "" (LuaJIT returns at once; 5.1 and 5.2 loop too, up
--   to 2^31 times: sandbox.lua guards them the same way).
-- * table.move of absent keys: `move({}, 1, 2^62, 2)` reads and writes nil
--   2^62 times.
-- * table.insert and table.remove of a table whose __len says 2^40: the
--   shift moves nils just as long.
--
-- Each version does what the builtin does, in the same order and with the
-- same metamethod calls (its loop is written in Lua, where the sandbox's
-- hook counts it), and leaves every other call to the builtin; an invalid
-- call still reaches the builtin, whose own checks then fail before any
-- loop, so every error reads as the builtin's. Lengths and positions are
-- converted as lauxlib's checkinteger converts them (numbers and numeric
-- strings with an integer value).
local given = ...
local rep, move, insert, remove = given.rep, given.move, given.insert, given.remove
local raise = debug.getregistry()["ilupa.builtin_errors"].raise
local getmetatable, rawget, setmetatable = debug.getmetatable, rawget, setmetatable
local type, tonumber, select = type, tonumber, select
local tointeger, ult = math.tointeger, math.ult
local MAX = math.maxinteger
local MOVED_IN_C = 1 << 16 -- elements a move leaves to the builtin (at most a few ms)
-- 5.3 checks positions with signed bounds, 5.4 and 5.5 with unsigned ones
-- (which differ where a __len says a negative length).
local SIGNED_CHECKS = _VERSION == "Lua 5.3"

-- The integer lauxlib's luaL_checkinteger would take from `value`, or nil.
local function integer(value)
  if type(value) == "string" then value = tonumber(value) end
  if type(value) ~= "number" then return nil end
  return tointeger(value)
end

-- True when `t` is a table whose length is its metatable's __len (Lua
-- reads the field raw; debug.getmetatable sees past __metatable).
local function has_len(t)
  if type(t) ~= "table" then return false end
  local metatable = getmetatable(t)
  return metatable ~= nil and rawget(metatable, "__len") ~= nil
end

-- A table of length `n` for the builtin's own checks on a call already
-- known to be invalid (the user's __len ran once already, as the builtin's would).
local function of_length(n)
  return setmetatable({}, { __len = function() return n end })
end

local function sandbox_rep(...)
  local s, n, sep = ...
  if s == "" and (sep == nil or sep == "") and integer(n) ~= nil then
    return ""
  end
  return (raise(rep, ...))
end

local function sandbox_move(...)
  local a1, f, e, t, a2 = ...
  f, e, t = integer(f), integer(e), integer(t)
  if f == nil or e == nil or t == nil or e < f or not (f > 0 or e < MAX + f) then
    return (raise(move, ...)) -- nothing to move, or the builtin refuses
  end
  local n = e - f + 1
  if n <= MOVED_IN_C or t > MAX - n + 1 then
    return (raise(move, ...))
  end
  raise(move, a1, 1, 0, 1, a2) -- the builtin's checks of both tables, moving nothing
  local destination = a2
  if destination == nil then destination = a1 end
  if t > e or t <= f or (a2 ~= nil and not (a1 == a2)) then
    for i = 0, n - 1 do
      destination[t + i] = a1[f + i]
    end
  else
    for i = n - 1, 0, -1 do
      destination[t + i] = a1[f + i]
    end
  end
  return destination
end

local function sandbox_insert(...)
  local t, position, value = ...
  if select("#", ...) ~= 3 or not has_len(t) then
    raise(insert, ...) -- not tail-called (see raise); insert returns nothing
    return
  end
  local length = #t
  local n, pos = integer(length), integer(position)
  local valid = n ~= nil and pos ~= nil
  local e = valid and n + 1
  if valid then
    if SIGNED_CHECKS then
      valid = 1 <= pos and pos <= e
    else
      valid = ult(pos - 1, e)
    end
  end
  if not valid then
    raise(insert, of_length(length), position, value)
    return
  end
  for i = e, pos + 1, -1 do
    t[i] = t[i - 1]
  end
  t[pos] = value
end

local function sandbox_remove(...)
  local t, position = ...
  if not has_len(t) then
    return (raise(remove, ...))
  end
  local length = #t
  local size = integer(length)
  local pos = size
  if position ~= nil then pos = integer(position) end
  local valid = size ~= nil and pos ~= nil
  if valid and pos ~= size then
    if SIGNED_CHECKS then
      valid = 1 <= pos and pos <= size + 1
    else
      valid = not ult(size, pos - 1)
    end
  end
  if not valid then
    return (raise(remove, of_length(length), select(2, ...)))
  end
  local removed = t[pos]
  while pos < size do
    t[pos] = t[pos + 1]
    pos = pos + 1
  end
  t[pos] = nil
  return removed
end

return { rep = sandbox_rep, move = sandbox_move, insert = sandbox_insert, remove = sandbox_remove }
