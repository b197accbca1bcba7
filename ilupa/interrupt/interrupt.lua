-- Makes running Lua stoppable (see ilupa/interrupt/guard.py). Two modes:
-- * `register` given (Lua 5.2-5.5): no hook while the cell runs. Python sets a
--   count hook on every registered Lua thread when the interrupt arrives, so
--   this side only tells Python the address of each thread: the main one now,
--   every coroutine when it is created. A coroutine stays alive until Python
--   has forgotten its address (its sentinel's finalizer keeps it reachable),
--   so Python never sets a hook on freed memory.
-- * otherwise (Lua 5.1, LuaJIT): a count hook, at most every `count` VM
--   instructions, asks Python (at most every `POLL_SECONDS`) whether the user
--   interrupted; calling Python also lets CPython run a pending SIGINT
--   handler. The hook times itself and
--   shortens its count when instructions are slow (short C calls in a loop),
--   so that it runs about every `HOOK_SECONDS`. On LuaJIT hooks are not called
--   inside compiled traces, so each loop body also calls `(0i)()` (see
--   source/loop_checks.py), which runs the `__call` metamethod this file gives the
--   `complex` C type: a countdown in FFI memory, and when it runs out an FFI
--   call that reads the flag byte a watcher thread sets (a plain FFI load
--   would be hoisted out of the loop), then the function given to the returned
--   setter (the memory watch). The countdown is timed, not fixed: it is set so
--   that the flag is read about every `LOOK_SECONDS`, at most every
--   `loop_count` passes.
local given = ...
local poll, count, loop_count = given.poll, given.count, given.loop_count
local knocked = given.knocked
local message_handler = given.message_handler
local flag_address, register, unregister = given.flag_address, given.register, given.unregister
local error, sethook, create = error, debug.sethook, coroutine.create
local setmetatable, tostring = setmetatable, tostring
local resume, status, close = coroutine.resume, coroutine.status, coroutine.close
local errors = debug.getregistry()["ilupa.builtin_errors"]
local raise, builtins, getinfo, select, type = errors.raise, errors.builtins, debug.getinfo, select, type
-- Lua 5.1 makes coroutines of Lua functions only.
local LUA_ONLY = _VERSION == "Lua 5.1" and not rawget(_G, "jit")
-- Whether a wrapped coroutine's error gets the caller's position: Lua 5.4+
-- only strings, earlier Lua and LuaJIT numbers too (lua_isstring).
local STRINGS_ONLY = not rawget(_G, "jit") and _VERSION ~= "Lua 5.1" and _VERSION ~= "Lua 5.2"

-- A call coroutine.create or wrap refuses: the builtin raises its own error.
local function refused(f)
  return type(f) ~= "function" or (LUA_ONLY and getinfo(f, "S").what == "C")
end

-- Set by ffi_references.lua while it holds the GIL between C API calls
-- (borrowed pointers in hand): Python code run then (the hook's poll, the
-- memory watch) could let another Python thread take the GIL and free them,
-- so neither is called meanwhile; the next hook or check calls them.
local gil_step = { held = false }
-- lupa's own call, kept before the proxy layer adds argument handling to it:
-- the hook can fire while ilupa frees Python references, when the patched
-- call refuses (ilupa/proxy/python_references.lua). `poll` returns a boolean,
-- so calling it then pushes no Python object.
local raw_call = debug.getregistry().POBJECT.__call

-- As Lua's own wrap: an error that ended the coroutine closes its pending
-- to-be-closed variables (Lua 5.4+), and a string error gets the position of
-- the wrapped function's caller (Lua 5.1's "(tail call)" level skipped: this
-- function is tail-called).
local function passed_on(co, ok, ...)
  if ok then return ... end
  local problem = ...
  if close ~= nil and status(co) == "dead" then
    local closed, closing = close(co)
    if not closed then problem = closing end
  end
  local kind = type(problem)
  if kind == "string" or (kind == "number" and not STRINGS_ONLY) then
    local info = getinfo(2, "Sl")
    if info ~= nil and info.what == "tail" then info = getinfo(3, "Sl") end
    if info ~= nil and info.currentline > 0 then
      problem = info.short_src .. ":" .. info.currentline .. ": " .. problem
    end
  end
  error(problem, 0)
end

-- What the debugger needs of coroutines (ilupa/debugger/debugger.lua): hooks
-- are per coroutine on PUC Lua, so while it holds breakpoints it hooks every
-- coroutine that runs. `made`: the coroutines made so far, weak-keyed (Lua
-- 5.2-5.5, where the registration keeps them anyway: on Lua 5.1 a weak table
-- of every coroutine doubled the cost of making one). `watch`, when set, is
-- shown each coroutine as it is made. A named table in the registry.
local coroutines = { made = nil, watch = nil }
debug.getregistry()["ilupa.coroutines"] = coroutines

-- All of a call's values, where a tail call would lose the call site (see `raise`).
local function all_of(...) return ... end

local function wrap_with(new_coroutine)
  return function(...)
    local f = ...
    if refused(f) then return (raise(builtins.wrap, ...)) end
    local co = new_coroutine(f)
    return function(...)
      return passed_on(co, resume(co, ...))
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
  coroutines.made = sentinels -- its keys are the coroutines made
  local function forget_freed()
    if forgotten[1] ~= nil then
      unregister(concat(forgotten, ","))
      forgotten, kept = {}, {}
    end
  end
  function coroutine.create(...)
    local f = ...
    if refused(f) then return (raise(builtins.create, ...)) end
    forget_freed()
    local co = create(f)
    local at = address_of(co)
    register(at)
    sentinels[co] = setmetatable({ co, at }, forget)
    local watch = coroutines.watch
    if watch ~= nil then watch(co) end
    return co
  end
  coroutine.wrap = wrap_with(coroutine.create)
  -- A cell's full collection frees what plain Lua's frees: the coroutines whose
  -- sentinels it finalized are kept alive only until Python forgets them, so they
  -- are forgotten now and collected again (Lua 5.4's gc.lua checks a cell's memory
  -- after `collectgarbage()` to the kilobyte). Other options are the builtin's.
  local collect = collectgarbage
  function collectgarbage(...)
    local option = ...
    if option == "count" then -- no allocation: a cell compares counts (5.5's vararg.lua)
      return all_of(collect(...))
    elseif option ~= nil and option ~= "collect" then
      return all_of(raise(collect, ...)) -- raise is not tail-called: see `raise`
    end
    local result = collect(...)
    if forgotten[1] ~= nil then
      forget_freed()
      collect(...)
    end
    return result
  end
  return { forget_freed = forget_freed, gil_step = gil_step }
end

-- A unique error value, so that pcall and xpcall can pass it on: a user's
-- `pcall` must not swallow the interrupt.
local INTERRUPT = setmetatable({}, { __tostring = function() return "interrupted" end })
local raw_pcall, raw_xpcall = pcall, xpcall

-- A knock (guard.py's `knock`): the debugger's way in while it has no hook
-- set. Lua 5.2-5.5 get the debug library's hook instead (nothing here).
local registry = debug.getregistry()
local function answer_knock()
  local ok, waiting = raw_pcall(raw_call, knocked)
  if ok and waiting then
    local enter = registry["ilupa.knocked"]
    if enter ~= nil then enter() end
  end
end

-- The hook runs about every HOOK_SECONDS of CPU time: its count (VM
-- instructions between two calls) halves or shrinks when instructions are
-- slow (short C calls in a loop) and doubles while they are fast, within
-- MIN_COUNT..MAX_COUNT. MAX_COUNT bounds how long a loop that turns slow runs
-- before the count adapts. Python is asked every POLL_SECONDS at most.
-- (A hook that finds the count unchanged leaves its thread's count as it is.)
local HOOK_SECONDS, POLL_SECONDS, MIN_COUNT = 0.005, 0.005, 100
local MAX_COUNT = count
local clock, floor = os.clock, math.floor
-- One count for all threads: a thread whose hook fires takes the current one.
local current, hooked_at, polled_at = MIN_COUNT, clock(), -1

-- True while an error is being handled: the runner's message handler runs,
-- or ilupa's Lua called by `error` or by lupa's call of Python (raising the
-- Python exception): the C-stack guard's handler, which calls the runner's.
-- An interrupt raised there is "error in error handling",
-- before the runner took the traceback, and the KeyboardInterrupt could not
-- name its line; the next hook raises it. A user's own frame ends the search:
-- a user's message handler that loops is still stopped. The handler is the
-- innermost frames, so a few levels above the hook suffice.
local HANDLER_LEVELS = 8
local sub = string.sub
local function in_error_handling()
  for level = 3, HANDLER_LEVELS + 2 do
    local info = getinfo(level, "fS")
    if info == nil then
      return false
    end
    local func = info.func
    if func == message_handler or func == error or func == raw_call then
      return true
    end
    if info.what ~= "C" and sub(info.source, 1, 7) ~= "=ilupa:" then
      return false
    end
  end
  return false
end

-- How the hook sets its new count: user_hooks.lua routes it through the
-- dispatcher while a user's hook is set on the running thread.
local hook
local function own_rehook(wanted) sethook(hook, "", wanted) end
local rehook = own_rehook

function hook()
  local now = clock()
  local elapsed = now - hooked_at
  hooked_at = now
  local wanted = current
  if elapsed > HOOK_SECONDS then
    wanted = floor(current * HOOK_SECONDS / elapsed)
    if wanted < MIN_COUNT then wanted = MIN_COUNT end
  elseif elapsed * 4 < HOOK_SECONDS and current < MAX_COUNT then
    wanted = current * 2
    if wanted > MAX_COUNT then wanted = MAX_COUNT end
  end
  if wanted ~= current then
    current = wanted
    rehook(wanted)
  end
  if (now - polled_at >= POLL_SECONDS or now < polled_at) and not gil_step.held then
    polled_at = now
    -- `poll` may be refused while python_references.lua frees Python
    -- references (the hook can fire in a `__gc`): it asks again next time.
    local ok, stop = raw_pcall(raw_call, poll)
    if ok and stop and not in_error_handling() then
      error(INTERRUPT, 0)
    end
    answer_knock()
  end
end

local function passed_through(ok, ...)
  if not ok and (...) == INTERRUPT then
    error(INTERRUPT, 0)
  end
  return ok, ...
end

-- pcall() and an xpcall without a function handler are the builtin's to
-- refuse (LuaJIT: the C-stack guard's, which lets the builtin raise).
-- Lua 5.1 takes any handler, so a call that succeeds returns all its results.
local function refused_xpcall(...)
  return all_of(raise(builtins.xpcall, ...)) -- raise is not tail-called: see `raise`
end
local refuse = rawget(_G, "jit") and raw_xpcall or refused_xpcall

function pcall(...)
  if select("#", ...) == 0 then raise(builtins.pcall) end
  return passed_through(raw_pcall(...))
end

function xpcall(...)
  local f, handler = ...
  if type(handler) ~= "function" or select("#", ...) < 2 then
    return passed_through(refuse(...))
  end
  local function handle(e)
    if e == INTERRUPT then return e end
    return handler(e)
  end
  return passed_through(raw_xpcall(f, handle, select(3, ...)))
end

-- A hook starts at a short count, which doubles while instructions are fast.
sethook(hook, "", MIN_COUNT)

-- Hook functions are kept per coroutine: give every new coroutine the hook
-- (LuaJIT keeps one hook for all its threads: nothing to give).
local ONE_HOOK = rawget(_G, "jit") ~= nil
function coroutine.create(...)
  local f = ...
  if refused(f) then return (raise(builtins.create, ...)) end
  local co = create(f)
  if not ONE_HOOK then
    sethook(co, hook, "", MIN_COUNT)
    local watch = coroutines.watch
    if watch ~= nil then watch(co) end
  end
  return co
end

coroutine.wrap = wrap_with(coroutine.create)

local every_loop_count = nil
if flag_address ~= nil then
  local ffi = require("ffi")
  -- Declared under ilupa's own names (`asm` gives the C symbol), so that a
  -- cell declaring memcmp or clock_gettime itself does not clash with them.
  ffi.cdef([[
int ilupa_memcmp(const void *, const void *, size_t) asm("memcmp");
int ilupa_clock_gettime(int, int64_t *) asm("clock_gettime");
]])
  local C, tonumber = ffi.C, tonumber
  local CLOCK_MONOTONIC, LOOK_SECONDS, WATCH_SECONDS = 1, 0.001, 0.001
  local flag = ffi.cast("const char *", flag_address)
  local zero = ffi.new("char[1]")
  local now = ffi.new("int64_t[2]")
  local function seconds()
    C.ilupa_clock_gettime(CLOCK_MONOTONIC, now)
    return tonumber(now[0]) + tonumber(now[1]) * 1e-9
  end
  local period, looked_at, watched_at = 1, seconds(), 0
  local left = ffi.new("int32_t[1]", 1)
  local knock = flag + 1
  local function look()
    if C.ilupa_memcmp(flag, zero, 1) ~= 0 then
      error(INTERRUPT, 0)
    end
    if C.ilupa_memcmp(knock, zero, 1) ~= 0 and not gil_step.held then
      answer_knock()
    end
    local at = seconds()
    local elapsed = at - looked_at
    looked_at = at
    if elapsed > LOOK_SECONDS then
      period = floor(period * LOOK_SECONDS / elapsed)
      if period < 1 then period = 1 end
    elseif elapsed * 4 < LOOK_SECONDS and period < loop_count then
      period = period * 2
      if period > loop_count then period = loop_count end
    end
    left[0] = period
    if every_loop_count and not gil_step.held
      and (at - watched_at >= WATCH_SECONDS or at < watched_at) then
      watched_at = at
      every_loop_count()
    end
  end
  -- `(0i)()` in a loop calls this. A metatype cannot be changed once set, so
  -- no cell can remove or replace the check.
  ffi.metatype("complex", { __call = function()
    local n = left[0] - 1
    left[0] = n
    if n <= 0 then
      look()
    end
  end })
end

local function set_every_loop_count(f)
  every_loop_count = f
end

-- LuaJIT: raise the interrupt if it came (for ilupa's own long C-API work, which
-- runs no loop check: ffi_copies.lua's copies into Python).
local check_interrupt = nil
if flag_address ~= nil then
  local flag = require("ffi").cast("const char *", flag_address)
  check_interrupt = function()
    if flag[0] ~= 0 then error(INTERRUPT, 0) end
  end
end
-- For user_hooks.lua: the hook, its count now, and the way it changes its count.
local own_hook = {
  hook = hook,
  count = function() return current end,
  set_rehook = function(f) rehook = f or own_rehook end,
}
return {
  set_every_loop_count = set_every_loop_count, gil_step = gil_step, own_hook = own_hook,
  check_interrupt = check_interrupt,
}
