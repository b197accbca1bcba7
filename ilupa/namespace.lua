-- `py`: the Python user namespace seen from Lua, by reference.
-- `py.df` is the Python object itself, not a copy; `py.x = 1` binds a Python
-- variable; a name Python does not have reads as nil, as Lua globals do.
local given = ...
local lookup, assign, names = given.lookup, given.assign, given.names

local py = setmetatable({}, {
  __index = function(_, name) return lookup(name) end,
  __newindex = function(_, name, value) assign(name, value) end,
  __pairs = function()
    local list, i = names(), 0
    return function()
      i = i + 1
      local name = list[i]
      if name ~= nil then
        return name, lookup(name)
      end
    end
  end,
  __tostring = function() return "py (the Python namespace)" end,
})
return { py = py }
