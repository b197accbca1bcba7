-- Makes running Lua stoppable (see ilupa/interrupt.py). Two modes:
-- * `register` given (Lua 5.2-5.5): no hook while the cell runs. Python sets a
--   count hook on every registered Lua thread when the interrupt arrives, so
--   this side only tells Python the address of each thread: the main one now,
--   every coroutine when it is created. A coroutine stays alive until Python
--   has forgotten its address (its sentinel's finalizer keeps it reachable),
--   so Python never sets a hook on freed memory.
-- * otherwise (Lua 5.1, LuaJIT): a count hook asks Python every `count` VM
--   instructions whether the user interrupted; calling Python also lets
--   CPython run a pending SIGINT handler. On LuaJIT hooks are not called inside
--   compiled traces, so each loop body of a cell also calls `__ilupa_check`
--   (see loop_checks.py): a countdown in FFI memory, and every `loop_count`
--   passes an FFI call that reads the flag byte a watcher thread sets (a plain
--   FFI load would be hoisted out of the loop), then the function given to
--   the returned setter (the memory watch), so loops pay for one countdown.
local poll, count, loop_count, flag_address, register, unregister = ...
local error, sethook, create = error, debug.sethook, coroutine.create
local setmetatable, tostring = setmetatable, tostring
local resume = coroutine.resume
-- lupa's own call, kept before the proxy layer adds argument handling to it:
-- the hook can fire while ilupa frees Python references, when the patched
-- call refuses (ilupa/lua/python_references.lua). `poll` returns a boolean,
-- so calling it then pushes no Python object.
local raw_call = debug.getregistry().POBJECT.__call

local function passed_on(ok, ...)
  if not ok then
    error((...), 0)
  end
  return ...
end

local function wrap_with(new_coroutine)
  return function(f)
    local co = new_coroutine(f)
    return function(...)
      return passed_on(resume(co, ...))
    end
  end
end

if register ~= nil then
  local python_register, python_unregister = register, unregister
  register = function(name) return raw_call(python_register, name) end
  unregister = function(names) return raw_call(python_unregister, names) end
  local concat, format, pcall, type = table.concat, string.format, pcall, type
  local getmetatable, set_metatable = debug.getmetatable, debug.setmetatable
  local has_pointer_format = pcall(format, "%p", {})
  -- A thread's address, read from the thread: never from what `tostring`
  -- says of it, which a cell can forge (`debug.setmetatable(co, {__tostring
  -- = ...})`, `__name`). Python hooks threads by address through the C API,
  -- so a forged address would be a write into memory that is not a thread.
  -- Lua 5.4 and later print the raw pointer with `%p`; before, the thread's
  -- metatable is set aside while the standard tostring (captured before any
  -- cell ran) formats it.
  local function address_of(thread)
    if has_pointer_format then
      return format("%p", thread)
    end
    local metatable = getmetatable(thread)
    if metatable ~= nil then set_metatable(thread, nil) end
    local text = tostring(thread)
    if metatable ~= nil then set_metatable(thread, metatable) end
    return text
  end
  register(address_of(coroutine.running()))
  -- A finalizer must not call Python (lua_close runs them while lupa tears
  -- the runtime down), so it only queues the address and keeps the thread
  -- alive; Python forgets queued threads at the next creation or cell end.
  local forgotten, kept = {}, {}
  local forget = { __gc = function(sentinel)
    kept[sentinel[1]] = true
    forgotten[#forgotten + 1] = sentinel[2]
  end }
  local sentinels = setmetatable({}, { __mode = "k" })
  local function forget_freed()
    if forgotten[1] ~= nil then
      unregister(concat(forgotten, ","))
      forgotten, kept = {}, {}
    end
  end
  function coroutine.create(f)
    forget_freed()
    local co = create(f)
    local at = address_of(co)
    register(at)
    sentinels[co] = setmetatable({ co, at }, forget)
    return co
  end
  coroutine.wrap = wrap_with(coroutine.create)
  __ilupa_check = function() end
  return forget_freed, nil
end

-- A unique error value, so that pcall and xpcall can pass it on: a user's
-- `pcall` must not swallow the interrupt.
local INTERRUPT = setmetatable({}, { __tostring = function() return "interrupted" end })
local raw_pcall, raw_xpcall = pcall, xpcall

-- `poll` may be refused: while python_references.lua frees Python references
-- inside a full collection, Python objects refuse calls, and the hook can
-- fire there (in a `__gc`). It asks again at its next turn.
local function hook()
  local ok, stop = raw_pcall(raw_call, poll)
  if ok and stop then
    error(INTERRUPT, 0)
  end
end

local function passed_through(ok, ...)
  if not ok and (...) == INTERRUPT then
    error(INTERRUPT, 0)
  end
  return ok, ...
end

function pcall(f, ...)
  return passed_through(raw_pcall(f, ...))
end

function xpcall(f, handler, ...)
  local function handle(e)
    if e == INTERRUPT then return e end
    return handler(e)
  end
  return passed_through(raw_xpcall(f, handle, ...))
end

sethook(hook, "", count)

-- Hook functions are kept per coroutine: give every new coroutine the hook.
function coroutine.create(f)
  local co = create(f)
  sethook(co, hook, "", count)
  return co
end

coroutine.wrap = wrap_with(coroutine.create)

local check = function() end
local every_loop_count = nil
if flag_address ~= nil then
  local ffi = require("ffi")
  pcall(ffi.cdef, "int memcmp(const void *, const void *, size_t);")
  local C = ffi.C
  local flag = ffi.cast("const char *", flag_address)
  local zero = ffi.new("char[1]")
  local countdown = ffi.new("int32_t[1]", loop_count)
  local function read_flag()
    countdown[0] = loop_count
    if C.memcmp(flag, zero, 1) ~= 0 then
      error(INTERRUPT, 0)
    end
    if every_loop_count then
      every_loop_count()
    end
  end
  check = function()
    local left = countdown[0] - 1
    countdown[0] = left
    if left <= 0 then
      read_flag()
    end
  end
end
__ilupa_check = check

local function set_every_loop_count(f)
  every_loop_count = f
end
return nil, set_every_loop_count
