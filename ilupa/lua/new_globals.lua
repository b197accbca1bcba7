-- Remembers which globals exist before Lua runs for the user (a cell, or a
-- Lua function Python called), so that after it ran out of memory the
-- globals it created (its half-built data) can be dropped and the state is
-- usable again. Globals that existed before are left alone. Runs nest (Lua ->
-- Python -> Lua): each keeps its own snapshot, so a nested run that failed
-- drops only what it created itself.
local next, rawset, sort, type = next, rawset, table.sort, type
local snapshots, depth = {}, 0

local function remember()
  depth = depth + 1
  local before = snapshots[depth] or {}
  for name in next, before do before[name] = nil end
  for name in next, _G do before[name] = true end
  snapshots[depth] = before
end

local function forget()
  if depth > 0 then
    local before = snapshots[depth]
    for name in next, before do before[name] = nil end
    depth = depth - 1
  end
end

local function drop_new()
  local before = snapshots[depth] or {}
  local dropped = {}
  for name in next, _G do
    if not before[name] then dropped[#dropped + 1] = name end
  end
  for i = 1, #dropped do rawset(_G, dropped[i], nil) end
  for i = 1, #dropped do  -- named without running a key's __tostring
    local name = dropped[i]
    dropped[i] = type(name) == "string" and name or "[" .. type(name) .. " key]"
  end
  sort(dropped)
  return dropped
end

return { remember = remember, forget = forget, drop_new = drop_new }
