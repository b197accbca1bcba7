-- Finds the largest Lua tables reachable from _G, within fixed bounds, so the
-- report is quick even when a table holds a hundred million entries.
-- Sizes are estimates from per-runtime byte counts (ilupa/memory/limits.py):
-- each table's own array and hash parts, plus an estimate of the tables and
-- strings in its array part from an even sample of its items.
-- It reads raw fields only and names keys without `tostring`: no user
-- metamethod (`__index`, `__len`, `__tostring`) runs, so a report after a
-- cell cannot fail or hang on one.
local given = ...
local slot_bytes, node_bytes = given.slot_bytes, given.node_bytes
local table_bytes, string_bytes = given.table_bytes, given.string_bytes
local next, type, rawget, floor = next, type, rawget, math.floor
local rawlen = rawlen or function(t) return #t end  -- 5.1 and LuaJIT: `#` is raw for tables
local format = string.format

local SAMPLE = 512

local function hash_part_bytes(entries)
  if entries == 0 then return 0 end
  local nodes = 1
  while nodes < entries do nodes = nodes * 2 end
  return nodes * node_bytes
end

local function value_bytes(v)
  local kind = type(v)
  if kind == "string" then return string_bytes + #v + 1 end
  if kind == "table" then
    local n, h = rawlen(v), 0
    local k = next(v, n > 0 and n or nil)
    while k ~= nil and h < 64 do h = h + 1; k = next(v, k) end
    return table_bytes + n * slot_bytes + hash_part_bytes(h)
  end
  return 0
end

local match = string.match

local function key_text(key)
  local kind = type(key)
  if kind == "string" then return format("%q", key) end
  if kind == "number" then
    if key == floor(key) and key > -2^53 and key < 2^53 then return format("%d", key) end
    return format("%.17g", key)
  end
  if kind == "boolean" then return key and "true" or "false" end
  return "<" .. kind .. ">"  -- a table or userdata key: named by its type only
end

local function key_path(path, key)
  if type(key) == "string" and match(key, "^[%a_][%w_]*$") then
    return path == "" and key or (path .. "." .. key)
  end
  return (path == "" and "_G" or path) .. "[" .. key_text(key) .. "]"
end

-- Walks at most max_tables tables; keeps each one's {path, entries, bytes, complete}.
local function walk(max_tables, max_entries, max_depth)
  local root = _G
  local seen = { [root] = true }
  local queue, head, tail = { { root, "", 0 } }, 1, 1
  local found, budget = {}, max_entries
  while head <= tail and #found < max_tables and budget > 0 do
    local item = queue[head]
    queue[head] = nil
    head = head + 1
    local t, path, depth = item[1], item[2], item[3]
    local n = rawlen(t)
    local children = 0
    if n > 0 then
      local step = n > SAMPLE and n / SAMPLE or 1
      local sampled, total = 0, 0
      local i = 1
      while i <= n do
        local v = rawget(t, floor(i))
        sampled = sampled + 1
        total = total + value_bytes(v)
        i = i + step
      end
      children = floor(total * n / sampled)
    end
    local hash, complete = 0, true
    local k, v = next(t, n > 0 and n or nil)
    while k ~= nil do
      hash = hash + 1
      budget = budget - 1
      if type(k) == "string" then children = children + string_bytes + #k + 1 end
      local kind = type(v)
      if kind == "string" then
        children = children + string_bytes + #v + 1
      elseif kind == "table" and not seen[v] and depth < max_depth then
        seen[v] = true
        tail = tail + 1
        queue[tail] = { v, key_path(path, k), depth + 1 }
      end
      if budget <= 0 then complete = false break end
      k, v = next(t, k)
    end
    if t ~= root then
      found[#found + 1] = {
        path, n + hash, table_bytes + n * slot_bytes + hash_part_bytes(hash) + children, complete,
      }
    end
  end
  return found
end

local sort = table.sort

local function larger(a, b)  -- by bytes; equal ones in the walk's order
  if a[3] ~= b[3] then return a[3] > b[3] end
  return a[5] < b[5]
end

-- The `shown` largest of at least `min_bytes`, as named columns (path, entries,
-- bytes, complete): Python reads four tables of plain values, not one table
-- per row (each row it held would take a registry slot that Lua 5.1's
-- registry keeps for good, past a full budget's last check).
local function largest(bounds)
  local found = walk(bounds.max_tables, bounds.max_entries, bounds.max_depth)
  local kept = {}
  for i = 1, #found do
    local row = found[i]
    row[5] = i
    if row[3] >= bounds.min_bytes then kept[#kept + 1] = row end
  end
  sort(kept, larger)
  local columns = { path = {}, entries = {}, bytes = {}, complete = {} }
  for i = 1, math.min(#kept, bounds.shown) do
    local row = kept[i]
    columns.path[i], columns.entries[i], columns.bytes[i], columns.complete[i] =
      row[1], row[2], row[3], row[4]
  end
  return columns
end

return { largest = largest }
