-- require's C searchers and package.loadlib, binding a C module to this runtime first.
--
-- Lua's own C searchers would dlopen the module file, whose lua_* imports find
-- nothing in this process (ilupa/lua_libraries/native_modules.py says why).
-- These replacements find the file exactly as Lua's do (package.searchpath on
-- package.cpath, the same messages), ask Python for a copy of it bound to this
-- runtime, and open that copy with Lua's own package.loadlib, taking the same
-- luaopen_* function Lua would (hyphen and dot rules of the version). A module
-- that cannot be bound fails with Lua's "error loading module" message, the
-- reason appended.
local given = ...
local bind = given.bind -- bind(path) -> file to open, or nil and why

local type, error, rawget = type, error, rawget
local find, gsub, sub, format = string.find, string.gsub, string.sub, string.format
local open = io.open
local package = package
local loadlib = package.loadlib
local searchers = rawget(package, "searchers") or package.loaders
local version = _VERSION
local old_style = version == "Lua 5.1" -- 5.1 and LuaJIT: messages start with "\n\t"
local prefixed = version ~= "Lua 5.4" and version ~= "Lua 5.5"

-- The file of `name` on package.cpath, as Lua's findfile: path or message.
local searchpath = rawget(package, "searchpath")
if searchpath == nil then -- PUC Lua 5.1
  searchpath = function(name, path)
    name = gsub(name, "%.", "/")
    local tried = ""
    for template in string.gmatch(path, "[^;]+") do
      local filename = gsub(template, "%?", (gsub(name, "%%", "%%%%")))
      local file = open(filename, "r")
      if file then
        file:close()
        return filename
      end
      tried = tried .. "\n\tno file '" .. filename .. "'"
    end
    return nil, tried
  end
end

local function cpath()
  local path = package.cpath
  if type(path) ~= "string" then error("'package.cpath' must be a string", 0) end
  return path
end

local function failed(name, filename, why)
  error(format("error loading module '%s' from file '%s':\n\t%s", name, filename, why), 0)
end

-- Lua's loadfunc: the C function of module `name` in the bound `file`, or nil,
-- message, "open" | "init" as package.loadlib says.
local function open_function(file, name)
  if old_style then
    local mark = find(name, "-", 1, true)
    if mark then name = sub(name, mark + 1) end
    return loadlib(file, "luaopen_" .. gsub(name, "%.", "_"))
  end
  local modname = gsub(name, "%.", "_")
  local mark = find(modname, "-", 1, true)
  if mark then
    local f, message, where = loadlib(file, "luaopen_" .. sub(modname, 1, mark - 1))
    if f or where ~= "init" then return f, message, where end
    modname = sub(modname, mark + 1)
  end
  return loadlib(file, "luaopen_" .. modname)
end

-- What the user sees of a bound copy's path is the file they installed.
local function as_installed(message, file, filename)
  if type(message) ~= "string" then return message end
  local at, stop = find(message, file, 1, true)
  if at == nil then return message end
  return sub(message, 1, at - 1) .. filename .. sub(message, stop + 1)
end

local function loaded_from(name, filename)
  local file, refusal = bind(filename)
  if file == nil then failed(name, filename, refusal) end
  return file
end

local function c_searcher(name)
  local filename, not_found = searchpath(name, cpath())
  if filename == nil then return not_found end
  local file = loaded_from(name, filename)
  local f, message = open_function(file, name)
  if f == nil then failed(name, filename, as_installed(message, file, filename)) end
  if old_style then return f end
  return f, filename
end

local function c_root_searcher(name)
  local dot = find(name, ".", 1, true)
  if dot == nil then return end
  local filename, not_found = searchpath(sub(name, 1, dot - 1), cpath())
  if filename == nil then return not_found end
  local file = loaded_from(name, filename)
  local f, message, where = open_function(file, name)
  if f == nil then
    if where ~= "init" then failed(name, filename, as_installed(message, file, filename)) end
    return format((prefixed and "\n\t" or "") .. "no module '%s' in file '%s'", name, filename)
  end
  if old_style then return f end
  return f, filename
end

searchers[3] = c_searcher
searchers[4] = c_root_searcher

-- package.loadlib(path, "luaopen_x") on a C module binds it first, the same way.
package.loadlib = function(path, funcname)
  if type(path) ~= "string" or type(funcname) ~= "string" then
    return loadlib(path, funcname) -- Lua's own argument errors
  end
  local file, refusal = bind(path)
  if file == nil then return nil, refusal, "open" end
  local f, message, where = loadlib(file, funcname)
  return f, as_installed(message, file, path), where
end

return { searchers = { c_searcher, c_root_searcher }, loadlib = package.loadlib }
