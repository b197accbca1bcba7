-- Rich output from Lua: display(x), update_display, clear_output, display_image,
-- and ipywidgets as the global `widgets` (also `require 'ipywidgets'`).
local given = ...
local display, update_display, clear_output = given.display, given.update_display, given.clear_output
local display_image, widgets, interact = given.display_image, given.widgets, given.interact

_G.display = display
_G.update_display = update_display
_G.clear_output = clear_output
_G.display_image = display_image
_G.widgets = widgets
_G.interact = interact
package.preload["ipywidgets"] = function() return widgets end
