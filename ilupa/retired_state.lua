-- Run once in a Lua state that `%lua_reset` (or a runtime change) replaced.
-- Python may still hold its functions (`f = %lua fill`) and tables; the state
-- lives as long as they do, but ilupa no longer watches it: no interrupt,
-- no memory budget handling, and on LuaJIT 2.0 a heap guard line measured
-- when the state had the shared 1 GiB heap window to itself (a call then
-- filled the window and aborted the process). So every Lua function of the
-- state now fails at once with a message that says why; C functions (lupa's
-- finalizers of Python objects among them) still run, so the state can be
-- closed cleanly.
local message = (...).message
local error, getinfo = error, debug.getinfo
-- Lua's own sethook: on Lua 5.1 and LuaJIT debug.sethook is user_hooks.lua's
local sethook = debug.getregistry()["ilupa.sethook"] or debug.sethook
local jit = rawget(_G, "jit")
if jit then
  jit.off()   -- compiled code calls no hooks
  jit.flush()
end
sethook(function()
  local info = getinfo(2, "S")
  if info ~= nil and info.what ~= "C" then
    error(message, 0)
  end
end, "c")
