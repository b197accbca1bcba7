-- Remembers which globals exist before ilupa's runner runs Lua for the user
-- (a cell, or a Lua function Python called), so that after it ran out of
-- memory the globals it created (its half-built data) can be dropped and the
-- state is usable again. Globals that existed before are left alone. Runs
-- nest (Lua -> Python -> Lua): each level of nesting has its own snapshot, so
-- a nested run that failed drops only what it created itself. The runner
-- takes the snapshot (no call from Python per run); Python names the level.
local next, rawset, sort, type = next, rawset, table.sort, type
local snapshots = {}
-- How many dropped globals a memory error names (a cell may have made millions:
-- listing them all made a message of 9 million characters); the rest are counted.
local NAMED = 10

local function remember(level)
  local before = snapshots[level] or {}
  for name in next, before do before[name] = nil end
  for name in next, _G do before[name] = true end
  snapshots[level] = before
end

-- Drops the globals created since the snapshot at `level`; returns a few of
-- their names (sorted) and how many there were.
local function drop_new(level)
  local before = snapshots[level]
  local dropped = {}
  if before == nil then return {}, 0 end
  for name in next, _G do
    if not before[name] then dropped[#dropped + 1] = name end
  end
  local count = #dropped
  for i = 1, count do rawset(_G, dropped[i], nil) end
  local named = {}
  for i = 1, count < NAMED and count or NAMED do  -- named without running a key's __tostring
    local name = dropped[i]
    named[i] = type(name) == "string" and name or "[" .. type(name) .. " key]"
  end
  sort(named)
  return named, count
end

return { remember = remember, drop_new = drop_new }
