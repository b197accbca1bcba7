-- LuaJIT only (see ilupa/memory/loop_guard.py). Wraps the loop checks
-- (`__ilupa_check`, loop_checks.py) so that every `every` passes they also
-- let Python sample Lua's memory (`sample`, given Lua's own count on LuaJIT
-- 2.0, where lupa has none), which keeps the warning up with JIT-compiled
-- loops, and, on LuaJIT 2.0, compare the heap with the guard
-- line: past it, collect garbage and, if the heap is still past the line,
-- raise `message`, which ilupa reports as a memory error.
local every, sample, line_kib, message = ...
local check, count, error = __ilupa_check, collectgarbage, error
local ffi = require("ffi")
local countdown = ffi.new("int32_t[1]", every)

local function watch_memory()
  countdown[0] = every
  if not line_kib then
    sample()
    return
  end
  local used_kib = count("count")
  sample(used_kib * 1024)
  if used_kib > line_kib then
    count("collect")
    if count("count") > line_kib then
      error(message, 0)
    end
  end
end

__ilupa_check = function()
  check()
  local left = countdown[0] - 1
  countdown[0] = left
  if left <= 0 then
    watch_memory()
  end
end

-- Python moves the line when the budget changes.
return function(new_line_kib)
  line_kib = new_line_kib
end
