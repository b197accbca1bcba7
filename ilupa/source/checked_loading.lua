-- On LuaJIT, code loaded at run time gets the same interrupt checks in its
-- loops as a cell (see ilupa/source/loop_checks.py): load, loadstring, loadfile,
-- dofile and require's Lua-file searcher rewrite Lua source text before
-- compiling it. Binary chunks (starting with ESC) are left as they are, and so
-- is text whose rewrite does not compile (it then runs as written).
local python_rewrite = (...).python_rewrite
local raw_call = debug.getregistry().POBJECT.__call  -- lupa's call, before the proxy layer
local raw_load, type, concat, open, select = load, type, table.concat, io.open, select
local searchpath, package_path = package.searchpath, package

local function checked(text)
  if text:byte(1) == 27 then
    return text
  end
  return raw_call(python_rewrite, text)
end

-- Loads the checked text; the original if the checked one fails to load.
local function load_checked(text, name, ...)
  local rewritten = checked(text)
  if rewritten ~= text then
    local chunk = raw_load(rewritten, name, ...)
    if chunk ~= nil then
      return chunk
    end
  end
  return raw_load(text, name, ...)
end

-- As load reads: a reader's error, or a piece that is not a string, is
-- load's failure (nil and the message), not an error.
local READER = "reader function must return a string"
local function read_all(reader)
  local parts = {}
  while true do
    local piece = reader()
    if piece == nil or piece == "" then
      return concat(parts)
    end
    if type(piece) ~= "string" then error(READER, 0) end
    parts[#parts + 1] = piece
  end
end
local protected = pcall -- the interrupt's: an interrupt in a reader stops the run

-- Anything but source text or a reader goes to the builtin as it came, to
-- be refused there (`load()` and `load(nil)` fail differently).
function load(...)
  local chunk, name = ...
  if type(chunk) == "function" then
    -- load checks its other arguments before it reads: so does the builtin here.
    if select("#", ...) > 1 then raw_load("", select(2, ...)) end
    local read, text = protected(read_all, chunk)
    if not read then return nil, text end
    chunk, name = text, name or "=(load)"
  elseif type(chunk) ~= "string" then
    return raw_load(...)
  end
  return load_checked(chunk, name or chunk, select(3, ...))
end

loadstring = load

local function file_text(path)
  local file, problem = open(path, "rb")
  if file == nil then
    return nil, "cannot open " .. problem
  end
  local text = file:read("*a")
  file:close()
  if text:byte(1) == 35 then  -- '#!' first line, skipped like the standalone loader does
    text = text:gsub("^[^\n]*", "", 1)
  end
  return text
end

local raw_loadfile, raw_dofile = loadfile, dofile

function loadfile(path, ...)
  if path == nil then
    return raw_loadfile(path, ...)
  end
  local text, problem = file_text(path)
  if text == nil then
    return nil, problem
  end
  return load_checked(text, "@" .. path, ...)
end

function dofile(path)
  if path == nil then
    return raw_dofile()
  end
  local chunk = assert(loadfile(path))
  return chunk()
end

local function lua_file_searcher(name)
  local path, problem = searchpath(name, package_path.path)
  if path == nil then
    return problem
  end
  local chunk, failure = loadfile(path)
  if chunk == nil then
    error("error loading module '" .. name .. "' from file '" .. path .. "':\n\t" .. failure, 0)
  end
  return chunk, path
end

package.loaders[2] = lua_file_searcher
