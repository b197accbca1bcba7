-- LuaJIT only (see ilupa/memory/loop_guard.py). Gives the loop checks
-- (loop_checks.py, interrupt.lua) what they run every few thousand passes:
-- let Python sample Lua's memory (`sample`, given Lua's own count on LuaJIT
-- 2.0, where lupa has none), which keeps the warning up with JIT-compiled
-- loops, and, on LuaJIT 2.0, compare the heap with the guard
-- line: past it, collect garbage and, if the heap is still past the line,
-- raise `message`, which ilupa reports as a memory error.
local sample, line_kib, message = ...
local count, error = collectgarbage, error

local function watch_memory()
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

-- Python moves the line when the budget changes.
local function set_line(new_line_kib)
  line_kib = new_line_kib
end
return watch_memory, set_line
