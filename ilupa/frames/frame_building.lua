-- ilupa.frame (see ilupa/frames/building.py): the Lua pass that turns a table of
-- records ({ {id = 1, name = "a"}, ... }) or a table of columns
-- ({ id = {1, 2}, name = {"a", "b"} }) into typed columns, with no Python call
-- per value. Each column gets one kind ("integer", "float", "boolean",
-- "string"), its values with holes filled (0, NaN, 0, ""), and a table of
-- 1s and 0s where values are missing (only when some are). A value that fits
-- no column is an error naming its row and field. Python turns the result,
-- a named table (`columns_of` below), into numpy arrays and a DataFrame.
local type, pairs, next, error, format, tostring, sort, getmetatable = type, pairs, next,
  error, string.format, tostring, table.sort, getmetatable
local find, concat = string.find, table.concat
local mathtype = math.type  -- Lua 5.3+: integers and floats are told apart
local floor, huge = math.floor, math.huge
local EXACT = 2 ^ 53  -- past it a double no longer holds every integer

local KINDS = { number = true, boolean = true, string = true }

local function describe(value)
  local kind = type(value)
  if kind == "number" then
    if mathtype then return mathtype(value) end
    if value == floor(value) and value > -EXACT and value < EXACT then return "integer" end
    return "float"
  end
  return kind
end

local function name_of(key)
  return type(key) == "string" and format("%q", key) or tostring(key)
end

local function refuse(row, key, value, column)
  local kind = type(value)
  if not KINDS[kind] then
    error(format("ilupa.frame: row %d, field %s is a %s; a column holds numbers, booleans "
      .. "or strings", row, name_of(key), kind), 0)
  end
  error(format("ilupa.frame: row %d, field %s is a %s, but the column holds %ss (since row %d)",
    row, name_of(key), kind, column.family, column.first), 0)
end

-- A column sees its values one at a time; numbers stay one family (an
-- integer column becomes a float column when a float comes).
local function new_column(name, row)
  return { name = name, values = {}, first = row, family = nil, kind = nil, holes = 0 }
end

local function take(column, row, value, key)
  local kind = describe(value)
  local family = (kind == "integer" or kind == "float") and "number" or kind
  if column.family == nil then
    if not KINDS[family] then refuse(row, key, value, column) end
    column.family, column.kind, column.first = family, kind, row
  elseif family ~= column.family then
    refuse(row, key, value, column)
  elseif kind == "float" then
    column.kind = "float"
  end
  column.values[row] = value
end

local function check_key(key, row)
  local kind = type(key)
  if kind ~= "string" and kind ~= "number" then
    error(format("ilupa.frame: row %d has a %s key; field names are strings or numbers",
      row, kind), 0)
  end
end

-- Names first seen in the same record come in sorted order (numbers first):
-- Lua tables keep no order of their own.
local function by_name(a, b)
  local ta, tb = type(a), type(b)
  if ta ~= tb then return ta == "number" end
  return a < b
end

local function sorted_keys(t)
  local keys = {}
  for key in pairs(t) do
    check_key(key, 1)
    keys[#keys + 1] = key
  end
  sort(keys, by_name)
  return keys
end

-- Holes filled and counted; the missing table made only when there are holes.
local FILL = { integer = 0, float = 0 / 0, boolean = 0, string = "" }
local function finish(column, n)
  local values, kind = column.values, column.kind or "float"
  column.kind = kind
  local fill, missing, holes = FILL[kind], nil, 0
  local boolean = kind == "boolean"
  for row = 1, n do
    local value = values[row]
    if value == nil then
      holes = holes + 1
      if missing == nil then
        missing = {}
        for before = 1, row - 1 do missing[before] = 0 end
      end
      missing[row] = 1
      values[row] = fill
    else
      if missing ~= nil then missing[row] = 0 end
      if boolean then values[row] = value and 1 or 0 end
    end
  end
  column.holes, column.missing = holes, missing
  if kind == "string" then
    -- one string for Python to split, unless a value holds the separator
    local joined = true
    for row = 1, n do
      if find(values[row], "\0", 1, true) then joined = false break end
    end
    if joined then column.joined = concat(values, "\0", 1, n) end
  end
  return column
end

local function from_records(records, order)
  local columns, names, n = {}, {}, #records
  if order ~= nil then
    for k = 1, #order do
      names[k] = order[k]
      columns[order[k]] = new_column(order[k], 1)
    end
  end
  for row = 1, n do
    local record = records[row]
    if type(record) ~= "table" then
      error(format("ilupa.frame: row %d is a %s, not a table of fields", row, type(record)), 0)
    end
    local new = nil
    -- a record with no metatable is walked raw (no `pairs` call per record)
    local step, state = next, record
    if getmetatable(record) ~= nil then step, state = pairs(record) end
    for key, value in step, state do
      local column = columns[key]
      if column == nil then
        check_key(key, row)
        if order ~= nil then
          error(format("ilupa.frame: row %d has field %s, which is not among the columns "
            .. "given", row, name_of(key)), 0)
        end
        column = new_column(key, row)
        columns[key] = column
        new = new or {}
        new[#new + 1] = key
      end
      -- the usual value, one of its column's kind, without a call; anything
      -- else (a column's first value, another kind) the general `take`
      local kind, family = type(value), column.family
      if kind == "number" and family == "number" then
        if column.kind == "integer" then  -- describe(value), inline
          if mathtype then
            if mathtype(value) ~= "integer" then column.kind = "float" end
          elseif not (value % 1 == 0 and value > -EXACT and value < EXACT) then
            column.kind = "float"
          end
        end
        column.values[row] = value
      elseif kind == family then
        column.values[row] = value
      else
        take(column, row, value, key)
      end
    end
    if new ~= nil then
      sort(new, by_name)
      for k = 1, #new do names[#names + 1] = new[k] end
    end
  end
  return columns, names, n
end

local function from_columns(given, order)
  local names, n = {}, 0
  if order ~= nil then
    for k = 1, #order do names[k] = order[k] end
  else
    names = sorted_keys(given)
  end
  local columns = {}
  for k = 1, #names do
    local name = names[k]
    local values = given[name]
    if type(values) ~= "table" then
      error(format("ilupa.frame: column %s is a %s, not a table of values", name_of(name),
        type(values)), 0)
    end
    local column = new_column(name, 1)
    columns[name] = column
    for row, value in pairs(values) do
      if type(row) ~= "number" or row < 1 or row ~= floor(row) or row == huge then
        error(format("ilupa.frame: column %s has key %s; a column's rows are 1, 2, ...",
          name_of(name), tostring(row)), 0)
      end
      if row > n then n = row end
      take(column, row, value, name)
    end
  end
  return columns, names, n
end

-- `t` is records when it is a sequence of tables, else a table of columns.
local function columns_of(t, order)
  if type(t) ~= "table" then
    error(format("ilupa.frame takes a table of records or of columns, not a %s", type(t)), 0)
  end
  if order ~= nil and type(order) ~= "table" then
    error(format("ilupa.frame: the columns are a list of names, not a %s", type(order)), 0)
  end
  local columns, names, n
  if t[1] ~= nil or next(t) == nil then
    columns, names, n = from_records(t, order)
  else
    columns, names, n = from_columns(t, order)
  end
  local list = {}
  for k = 1, #names do list[k] = finish(columns[names[k]], n) end
  return { rows = n, columns = list }
end

-- The result, or `{problem = message}`: Python raises it as its own error,
-- without Lua's traceback through this file.
local pcall = pcall
local function checked_columns_of(t, order)
  local ok, result = pcall(columns_of, t, order)
  if ok then return result end
  return { problem = tostring(result) }
end

-- `ilupa.frame(t [, columns])` in Lua: a table that cannot become a frame is
-- an error at the caller's line; Python's `build` makes the DataFrame.
local given = ...
local build = given.build
local function frame(t, order)
  local result = checked_columns_of(t, order)
  if result.problem ~= nil then error(result.problem, 2) end
  return build(result)
end

return { columns_of = checked_columns_of, frame = frame }
