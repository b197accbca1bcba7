-- LuaJIT only (see ilupa/memory/loop_sampling.py). Gives the loop checks
-- (source/loop_checks.py, interrupt/interrupt.lua) what they run about every millisecond:
-- let Python sample Lua's memory when it moved (`sample`, given Lua's own count
-- on LuaJIT 2.0, where lupa has none), which keeps the warning up with JIT-compiled
-- loops, and, on LuaJIT 2.0, compare the heap with the guard
-- line: past it, collect garbage and, if the heap is still past the line,
-- raise `message`, which ilupa reports as a memory error.
local given = ...
local sample, line_kib, message, step_kib = given.sample, given.line_kib, given.message, given.step_kib
local count, error = collectgarbage, error
-- lupa's own call of a Python object, taken before the proxy layer wraps it:
-- a finalizer's loop may run this while ilupa frees Python references, when
-- the wrapped call refuses (proxy/python_references.lua); a number argument
-- pushes no Python object, so the raw call is safe then.
local raw_call = debug.getregistry().POBJECT.__call
local sampled_kib = -step_kib

-- Python is called only when Lua's heap moved by `step_kib` since the last
-- sample: a call into Python costs as much as thousands of loop passes.
local function watch_memory()
  local used_kib = count("count")
  if used_kib - sampled_kib >= step_kib or sampled_kib - used_kib >= step_kib then
    sampled_kib = used_kib
    if line_kib then
      raw_call(sample, used_kib * 1024)
    else
      raw_call(sample)
    end
  end
  if line_kib and used_kib > line_kib then
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
return { watch_memory = watch_memory, set_line = set_line }
