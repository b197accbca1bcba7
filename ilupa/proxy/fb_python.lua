-- `require 'fb.python'`: fblualib's module for Torch-era Lua code. Its README
-- and init.lua are the spec; docs/proxy.md says where ilupa differs and why.
-- ilupa/proxy/fb_python.py is the Python half.
--
-- This file holds the opaque references: a handle per reference (a userdata
-- on Lua 5.1 and LuaJIT, whose tables ignore __len; a table elsewhere), whose
-- metatable sends every operation to Python and wraps the result as a
-- reference again. It puts Lua values into the transport form Python decodes
-- (strings as latin-1 text, since lupa hands Python every Lua string decoded
-- as UTF-8; tables flattened as {kind, id, ...} so that a table met twice is
-- one Python object), raises Python's errors at the caller's line, and reads
-- the caller's variables for lexec, leval and lreval.
--
-- Names the module does not define fall back to the `py` namespace view, so
-- `py = require 'fb.python'` keeps `py.df` reading the Python variable `df`.
local given = ...
local functions, namespace, direct, outgoing = given.functions, given.namespace, given.direct,
  given.outgoing
local POBJECT, box_marker = given.POBJECT, given.box_marker
local type, next, rawget, rawequal, select, error, getmetatable, setmetatable, tostring =
  type, next, rawget, rawequal, select, error, getmetatable, setmetatable, tostring
local find, gsub, char, sub, floor = string.find, string.gsub, string.char, string.sub, math.floor
local unpack_ = table.unpack or unpack
local getinfo, getlocal, getupvalue = debug.getinfo, debug.getlocal, debug.getupvalue
local getfenv, newproxy = getfenv, newproxy

local py_exec, py_eval, py_eval_ref, py_reval = direct(functions.exec), direct(functions.eval),
  direct(functions.eval_ref), direct(functions.reval)
local py_ref, py_int, py_float, py_bytes, py_unicode = direct(functions.ref),
  direct(functions.int), direct(functions.float), direct(functions.bytes),
  direct(functions.unicode)
local py_list, py_tuple, py_dict, py_import = direct(functions.list), direct(functions.tuple),
  direct(functions.dict), direct(functions.import)
local py_index, py_newindex, py_call = direct(functions.index), direct(functions.newindex),
  direct(functions.call)
local py_binary, py_unary, py_compare = direct(functions.binary), direct(functions.unary),
  direct(functions.compare)
local py_length, py_tostring, py_check_no_refs = direct(functions.length),
  direct(functions.tostring), direct(functions.check_no_refs)
local ARGS, KWARGS = functions.args, functions.kwargs

-- Raises `message` at the first caller outside this file, so the error names
-- the user's line (fblualib's errors had no position at all).
local SOURCE = getinfo(1, "S").source
local function raise(message)
  local level = 2
  while true do
    local info = getinfo(level, "S")
    if info == nil or (info.source ~= SOURCE and info.what ~= "tail") then break end
    level = level + 1
  end
  error(message, level)
end

-- References: `boxes` maps each handle to the Python Reference it holds; the
-- handle is the only strong way to it, so a dropped handle frees the object.
local boxes = setmetatable({}, { __mode = "k" })
local Reference, new_handle
if newproxy then
  local prototype = newproxy(true)
  Reference = getmetatable(prototype)
  new_handle = function() return newproxy(prototype) end
else
  Reference = {}
  new_handle = function() return setmetatable({}, Reference) end
end

local function handle(box)
  local h = new_handle()
  boxes[h] = box
  return h
end

-- What Python's functions return: (true, value) or (false, message).
local function reference(ok, value)
  if not ok then raise(value) end
  return handle(value)
end

local function plain(ok, value)
  if not ok then raise(value) end
  return value
end

-- Transport form. A string with bytes past 127 is sent with each such byte as
-- the latin-1 character of that code (valid UTF-8, which lupa decodes), and
-- Python encodes it back as latin-1: the same bytes, whatever they were.
local LATIN1 = {}
for b = 128, 255 do
  LATIN1[char(b)] = char(0xC0 + floor(b / 64), 0x80 + b % 64)
end
local function text(s)
  if find(s, "[\128-\255]") then return (gsub(s, "[\128-\255]", LATIN1)) end
  return s
end

local SKIP = {}  -- a dict value that Python cannot take: left out, as fblualib did
local pack

local function pack_key(k)
  local kind = type(k)
  if kind == "string" then return text(k) end
  if kind == "number" or kind == "boolean" then return k end
  if kind == "table" or kind == "userdata" then
    local box = boxes[k]
    if box ~= nil then return box end
  end
  raise("'" .. kind .. "' is not a builtin type: it cannot be a key in Python")
end

-- A table as fblualib's heuristic sees it (`as` nil): a list when t[1] is set
-- and t[0] and t[-1] are not, else a dict; `as` "l" or "d" forces one.
local function pack_table(t, state, as)
  local seen = state.seen
  local done = seen[t]
  if done ~= nil then return done end
  local id = state.count + 1
  state.count = id
  if as == nil then
    as = (rawget(t, 1) ~= nil and rawget(t, 0) == nil and rawget(t, -1) == nil) and "l" or "d"
  end
  local out = { as, id }
  seen[t] = out
  local size = 2
  if as == "l" then
    local i, item = 1, rawget(t, 1)
    while item ~= nil do
      size = size + 1
      out[size] = pack(item, state, false)
      i = i + 1
      item = rawget(t, i)
    end
  else
    for k, v in next, t do
      local value = pack(v, state, true)
      if value ~= SKIP then
        out[size + 1] = pack_key(k)
        out[size + 2] = value
        size = size + 2
      end
    end
  end
  return out
end

-- A Lua value in transport form. `in_dict`: a value Python cannot take is left
-- out (SKIP) instead of being an error.
pack = function(v, state, in_dict)
  local kind = type(v)
  if kind == "string" then return text(v) end
  if kind == "number" or kind == "boolean" or kind == "nil" then return v end
  if kind == "table" or kind == "userdata" then
    local box = boxes[v]
    if box ~= nil then return box end
    local out = outgoing(v)  -- an array view: its array
    if not rawequal(out, v) then return out end
    if kind == "table" then return pack_table(v, state, nil) end
    if rawequal(getmetatable(v), POBJECT) then return v end  -- ilupa's reference: the object
  elseif kind == "cdata" then
    local out = outgoing(v)  -- ilupa's FFI reference (LuaJIT): its object
    if type(out) ~= "cdata" then return out end
  elseif kind == "function" then
    return v  -- Python gets a callable that runs it as a cell run
  end
  if in_dict then return SKIP end
  raise("Cannot convert '" .. kind .. "' to Python type")
end

local function new_state() return { seen = {}, count = 0 } end
local function packed(v) return pack(v, new_state(), false) end

-- A table as a list ("l") or a dict ("d") whatever its keys; anything else as usual.
local function packed_as(v, as)
  if type(v) == "table" and boxes[v] == nil and rawequal(outgoing(v), v) then
    return pack_table(v, new_state(), as)
  end
  return packed(v)
end

local function code_of(code)
  local kind = type(code)
  if kind ~= "string" and kind ~= "number" then
    raise("Python code must be a string, got " .. kind)
  end
  return text(tostring(code))
end

local function locals_of(locals)
  if locals == nil then return nil end
  if type(locals) ~= "table" or boxes[locals] ~= nil then
    raise("locals must be a table, got " .. type(locals))
  end
  return pack_table(locals, new_state(), "d")
end

-- The module.
local M = {}

function M.exec(code, locals)
  local ok, message = py_exec(code_of(code), locals_of(locals))
  if not ok then raise(message) end
end

function M.eval(code, locals)
  local box = boxes[code]
  if box ~= nil then return plain(py_eval_ref(box, false)) end
  return plain(py_eval(code_of(code), locals_of(locals), false))
end

function M.eval_none(code, locals)
  local box = boxes[code]
  if box ~= nil then return plain(py_eval_ref(box, true)) end
  return plain(py_eval(code_of(code), locals_of(locals), true))
end

function M.reval(code, locals)
  if boxes[code] ~= nil then return code end
  return reference(py_reval(code_of(code), locals_of(locals)))
end

function M.ref(x) return reference(py_ref(packed(x))) end
function M.int(x) return reference(py_int(packed(x))) end
M.long = M.int
function M.float(x) return reference(py_float(packed(x))) end
function M.bytes(x) return reference(py_bytes(packed(x))) end
function M.unicode(x) return reference(py_unicode(packed(x))) end
M.str = M.unicode
function M.list(x) return reference(py_list(packed_as(x, "l"))) end
function M.tuple(x) return reference(py_tuple(packed_as(x, "l"))) end
function M.dict(x) return reference(py_dict(packed_as(x, "d"))) end

function M.import(name, from_list)
  if type(name) ~= "string" then raise("Module name must be string") end
  return reference(py_import(text(name), nil))
end

M.None = handle(functions.none_box)
M.args, M.kwargs = ARGS, KWARGS

function M._check_no_refs()
  -- two collections: on Lua 5.1 and LuaJIT a weak-keyed table keeps a dead
  -- handle's box for one more cycle; each collection releases Python's objects
  collectgarbage()
  collectgarbage()
  local ok, message = py_check_no_refs()
  if not ok then raise(message) end
end

-- The variables visible at `level` (1: the function calling get_vars), as
-- fblualib's README says: locals (later ones shadow earlier ones), then
-- upvalues, then globals; no names starting with '_' or '(', no functions,
-- cdata or modules.
function M.get_vars(level)
  local at = (level or 1) + 1
  local vars, modules = {}, {}
  for _, module in next, package.loaded do
    modules[module] = true
  end
  local function add(name, value, shadows)
    local first = sub(name, 1, 1)
    if first == "(" or first == "_" or (vars[name] ~= nil and not shadows) then return end
    local kind = type(value)
    if kind == "function" or kind == "cdata" or (value ~= nil and modules[value]) then return end
    vars[name] = value
  end
  local i = 1
  while true do
    local name, value = getlocal(at, i)
    if name == nil then break end
    add(name, value, true)
    i = i + 1
  end
  local info = getinfo(at, "f")
  local func = info and info.func
  if func then
    local env
    i = 1
    while true do
      local name, value = getupvalue(func, i)
      if name == nil then break end
      if name == "_ENV" then env = value end
      add(name, value, false)
      i = i + 1
    end
    if getfenv then env = getfenv(func) end
    for name, value in next, env or _G do
      if type(name) == "string" then add(name, value, false) end
    end
  end
  return vars
end

-- lexec, leval, lreval: the same as exec, eval, reval, with the caller's
-- variables as locals ("quite slow", fblualib's README says: interactive use).
function M.lexec(code, level) return M.exec(code, M.get_vars((level or 1) + 1)) end
function M.leval(code, level) return M.eval(code, M.get_vars((level or 1) + 1)) end
function M.lreval(code, level) return M.reval(code, M.get_vars((level or 1) + 1)) end

-- Operations on references: each goes to Python and gives a reference again.
Reference.__index = function(h, k) return reference(py_index(boxes[h], pack_key(k))) end

Reference.__newindex = function(h, k, v)
  local ok, message = py_newindex(boxes[h], pack_key(k), packed(v))
  if not ok then raise(message) end
end

Reference.__call = function(h, ...)
  local n = select("#", ...)
  local args, state, i = { ... }, new_state(), 1
  while i <= n do
    local a = args[i]
    if rawequal(a, ARGS) or rawequal(a, KWARGS) then
      local spread = args[i + 1]
      if type(spread) == "table" and boxes[spread] == nil and rawequal(outgoing(spread), spread) then
        args[i + 1] = pack_table(spread, state, rawequal(a, ARGS) and "l" or "d")
      else
        args[i + 1] = pack(spread, state, false)
      end
      i = i + 2
    else
      args[i] = pack(a, state, false)
      i = i + 1
    end
  end
  return reference(py_call(boxes[h], n, unpack_(args, 1, n)))
end

local function binary(name)
  return function(a, b) return reference(py_binary(name, packed(a), packed(b))) end
end
for event, name in next, {
  __add = "add", __sub = "sub", __mul = "mul", __div = "div", __mod = "mod", __pow = "pow",
  __idiv = "idiv", __band = "band", __bor = "bor", __bxor = "bxor", __shl = "shl",
  __shr = "shr", __concat = "add",  -- Python has one `+` for both, as fblualib said
} do
  Reference[event] = binary(name)
end
Reference.__unm = function(a) return reference(py_unary("unm", packed(a))) end
Reference.__bnot = function(a) return reference(py_unary("bnot", packed(a))) end

local function comparison(name)
  return function(a, b) return plain(py_compare(name, packed(a), packed(b))) end
end
Reference.__eq, Reference.__lt, Reference.__le =
  comparison("eq"), comparison("lt"), comparison("le")
Reference.__len = function(h) return plain(py_length(boxes[h])) end
Reference.__tostring = function(h) return plain(py_tostring(boxes[h])) end
Reference.__pairs = function()
  raise("an fb.python reference has no pairs: py.eval(ref) converts it to a table")
end
-- Through ilupa's own crossings (py.f(ref), py.x = ref, a cell's value) a
-- reference goes to Python as its object.
Reference[box_marker] = function(h) return boxes[h] end

setmetatable(M, {
  __index = function(_, name) return namespace[name] end,
  __newindex = function(_, name, value)
    local box = boxes[value]
    namespace[name] = box ~= nil and box or value
  end,
  __tostring = function() return "fb.python (ilupa)" end,
})

package.preload["fb.python"] = function() return M end
package.loaded["fb.python"] = nil
return { module = M, none = M.None, box_of = function(v) return boxes[v] end }
