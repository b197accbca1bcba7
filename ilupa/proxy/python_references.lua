-- Keeps lupa's table of Lua-side Python references strong between releases.
--
-- lupa stores each Python object's Lua userdata in a registry table with weak
-- values, and its finalizer removes the object's entry by the object's address.
-- When the collector clears a dead userdata from that table but runs its
-- finalizer later (incremental steps, or LuaJIT inside a trace), a push of the
-- same object in between makes a second userdata, and the late finalizer then
-- drops the entry and the Python reference of the live one; a freed slot can
-- also be handed to another object. Lua then calls whatever Python object
-- reuses that memory. So the table stays strong, and `release` lets it go
-- weak only inside one full collection, where clearing and finalizing happen
-- together with no push between them. `collectgarbage("collect")` releases
-- too, so a user's explicit collection still frees Python objects.
local references = debug.getregistry().LUPA_PYTHON_REFERENCES_TABLE
local weak = getmetatable(references)
local setmetatable, collect, pcall, error, next, type, select =
  setmetatable, collectgarbage, pcall, error, next, type, select
local raise = debug.getregistry()["ilupa.builtin_errors"].raise
local unpack = table.unpack or unpack

setmetatable(references, nil)

-- While the table is weak, a Lua `__gc` that reached Python could push an
-- object between clearing and finalizing: Python objects refuse every
-- operation until the collection is over (an error in that `__gc`).
local POBJECT = debug.getregistry().POBJECT
local function refuse()
  error("a Lua __gc cannot use Python objects while ilupa frees Python references", 2)
end

local saved = {}  -- POBJECT's own handlers while a release runs, else empty

-- Undoes a release's changes; also run before each cell, in case an
-- interrupt or an out-of-memory error stopped a release halfway.
local function reopen_python()
  for event, handler in next, saved do
    POBJECT[event] = handler
    saved[event] = nil
  end
  setmetatable(references, nil)
end

-- What the first collection returned: 0, or (Lua 5.4+) nil when it could not
-- run (inside a finalizer), as the builtin returns.
local collected = 0

local function collect_all()
  for event, handler in next, POBJECT do
    if event ~= "__gc" and type(handler) == "function" and handler ~= refuse then
      saved[event] = handler
    end
  end
  for event in next, saved do
    POBJECT[event] = refuse
  end
  setmetatable(references, weak)
  -- A failing finalizer stops a collection halfway, with cleared references
  -- waiting: the collection is finished before the table turns strong again.
  local ok, problem = pcall(collect, "collect")
  if ok then collected = problem else collected = 0 end
  local finished, tries = ok, 0
  while not finished and tries < 100 do
    finished, tries = pcall(collect, "collect"), tries + 1
  end
  if not ok then
    error(problem, 0)
  end
end

-- Returns the first finalizer's error (nil if none failed) and the heap size
-- in KiB after the collection.
local function release()
  local ok, problem = pcall(collect_all)
  reopen_python()
  return (not ok) and problem or nil, (collect("count"))
end

local function packed(...) return { n = select("#", ...), ... } end

-- Any other option is the builtin's, with its own errors (`raise`: named
-- 'collectgarbage' at the caller's line, not this file's). "count" alone
-- cannot fail and skips the protected call.
function collectgarbage(option, ...)
  if option == nil or option == "collect" then
    -- The builtin checks an extra argument for every option: "count" has it
    -- checked without collecting.
    if select("#", ...) > 0 then raise(collect, "count", ...) end
    local problem = release()
    if problem ~= nil then
      error(problem, 0)
    end
    return collected
  end
  if option == "count" and select("#", ...) == 0 then return collect("count") end
  local results = packed(raise(collect, option, ...))
  return unpack(results, 1, results.n)
end

return { release = release, reopen_python = reopen_python }
