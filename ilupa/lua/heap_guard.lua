-- LuaJIT 2.0 only (see ilupa/memory/heap_guard.py). Its GC heap has a fixed
-- ceiling, and running out of memory inside JIT-compiled code aborts the
-- whole process instead of raising an error. So here the loop checks also
-- watch the heap: every `every` passes they read the heap size and, past the
-- guard line (set below the ceiling), collect garbage and, if the heap is
-- still past the line, raise `message`, which ilupa reports as a memory error.
local every, line_kib, message = ...
local check, count, error = __ilupa_check, collectgarbage, error
local ffi = require("ffi")
local countdown = ffi.new("int32_t[1]", every)

local function over_line()
  countdown[0] = every
  if count("count") > line_kib then
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
    over_line()
  end
end

-- Python moves the line when the budget changes.
return function(new_line_kib)
  line_kib = new_line_kib
end
