-- What ilupa.topython (ilupa/proxy/copies.py's ToPython) asks before copying a
-- table: is any table reached twice (shared or cyclic), and how many levels of
-- tables are there. A copy of a tree (nothing reached twice) needs no identity
-- bookkeeping, and its deepest tables hold no table, so Python copies them
-- without looking at their values. The walk is raw (`next`: no metamethod
-- runs), has no recursion (any depth), and an FFI value (cdata, LuaJIT) counts
-- as a table below its holder, since Python turns it into its object.
local next, type = next, type

local function survey(root)
  local seen, tables, levels = { [root] = true }, { root }, { 1 }
  local top, deepest = 1, 1
  while top > 0 do
    local t, level = tables[top], levels[top]
    tables[top], levels[top] = nil, nil
    top = top - 1
    local below = level + 1
    for k, v in next, t do
      local kind = type(v)
      if kind == "table" then
        if seen[v] then return { reached_twice = true, levels = deepest } end
        seen[v] = true
        top = top + 1
        tables[top], levels[top] = v, below
        if below > deepest then deepest = below end
      elseif kind == "cdata" and below > deepest then
        deepest = below
      end
      kind = type(k)
      if kind == "table" then
        if seen[k] then return { reached_twice = true, levels = deepest } end
        seen[k] = true
        top = top + 1
        tables[top], levels[top] = k, below
        if below > deepest then deepest = below end
      elseif kind == "cdata" and below > deepest then
        deepest = below
      end
    end
  end
  return { reached_twice = false, levels = deepest }
end

return { survey = survey }
