-- `require 'fb.python'`: fb.python's API, and the notebook namespace behind it.
-- Names the API does not define fall back to the `py` namespace view, so
-- `py = require 'fb.python'` keeps `py.df` reading the Python variable `df`.
local given = ...
local functions, namespace = given.functions, given.namespace
local module = {}
for name, fn in pairs(functions) do
  module[name] = fn
end
module.None = python.none

setmetatable(module, {
  __index = function(_, name) return namespace[name] end,
  __newindex = function(_, name, value) namespace[name] = value end,
  __tostring = function() return "fb.python (ilupa)" end,
})

package.preload["fb.python"] = function() return module end
package.loaded["fb.python"] = nil
return module
