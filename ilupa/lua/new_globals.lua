-- Remembers which globals exist before a cell, so that after the cell ran out
-- of memory the globals it created (its half-built data) can be dropped and
-- the state is usable again. Globals that existed before are left alone.
local next, rawset, sort, tostring = next, rawset, table.sort, tostring
local before = {}

local function remember()
  for name in next, before do before[name] = nil end
  for name in next, _G do before[name] = true end
end

local function drop_new()
  local dropped = {}
  for name in next, _G do
    if not before[name] then dropped[#dropped + 1] = name end
  end
  for i = 1, #dropped do rawset(_G, dropped[i], nil) end
  for i = 1, #dropped do dropped[i] = tostring(dropped[i]) end
  sort(dropped)
  return dropped
end

return remember, drop_new
