-- Python references through the CPython C API, by LuaJIT's FFI (docs/proxy.md
-- says why each choice was made; ilupa/proxy/c_api.py is the Python half).
--
-- Four files, loaded in this order by c_api.py, each taking the results of the
-- ones before as named tables: ffi_c_api.lua (the C API as the FFI declares it,
-- the object layout check, the GIL steps), ffi_boxes.lua (boxes, their arena
-- and lifetimes, items as Lua values), ffi_references.lua (reads, writes,
-- iteration and calls on boxes, their metatable) and ffi_copies.lua (copies).
--
-- Reads of exact dicts, lists and tuples (`d.k`, `d[1]`, `l[i]`, `#o`,
-- `ipairs`) and writes (`d.k = v`, `l[i] = v`) call the C API directly, with
-- the GIL taken around each access (lupa runs Lua with the GIL released) and
-- never held while other Lua code runs: every GIL-held step runs inside the
-- raw `pcall`, so an interrupt or a memory error raised there releases the
-- GIL before it goes on. Strings, numbers, booleans and None become Lua
-- values; a dict, list or tuple becomes a reference box (an FFI struct that
-- holds a slot number). Everything else takes the Python-side path of
-- proxy_manners.lua, with the box turned into lupa's own object first.
--
-- Lifetime: each box's object is a strong reference in the arena (C memory
-- that Python owns and frees). A weak-valued table maps an object's address
-- to its box; once the collector has dropped a box, its slot is found by a
-- sweep (after each finished collection cycle) and its reference moved to
-- the graveyard, a Python list that Python empties: an object freed there
-- may run Python code (`__del__`) that calls Lua, which must never happen
-- inside an FFI call. The FFI side only decrements what cannot free an
-- object or run Python code.
local given = ...
local type, tonumber, error, pcall, floor, getmetatable, setmetatable, rawequal, select =
  type, tonumber, error, given.raw_pcall, math.floor, getmetatable, setmetatable, rawequal, select

local has_ffi, ffi = pcall(require, "ffi")
if not (jit and has_ffi) then
  return { live = false, why = "no FFI on this runtime" }
end

local declared, problem = pcall(ffi.cdef, [[
typedef struct ilupa_pyobject {
  intptr_t ob_refcnt; struct ilupa_pyobject *ob_type;
} ilupa_pyobject;
typedef struct { intptr_t ob_refcnt; void *ob_type; intptr_t ob_size; } ilupa_pyvar;
typedef struct {
  intptr_t ob_refcnt; void *ob_type; intptr_t ob_size; ilupa_pyobject **ob_item;
} ilupa_pylist;
typedef struct {
  intptr_t ob_refcnt; void *ob_type; intptr_t ob_size; ilupa_pyobject *ob_item[1];
} ilupa_pytuple;
typedef struct { intptr_t ob_refcnt; void *ob_type; double ob_fval; } ilupa_pyfloat;
typedef struct { intptr_t ob_refcnt; void *ob_type; intptr_t ma_used; } ilupa_pydict;
typedef struct { ilupa_pyobject *obj; void *runtime; int type_flags; } ilupa_lupa_object;
typedef struct { ilupa_pyobject **items; int32_t top, cap, closed; } ilupa_arena;
typedef struct ilupa_reference { int32_t : 32; } ilupa_reference;
int PyGILState_Ensure(void);
void PyGILState_Release(int);
void *PyGILState_GetThisThreadState(void);
void PyEval_RestoreThread(void *);
void *PyEval_SaveThread(void);
ilupa_pyobject *PyDict_GetItem(ilupa_pyobject *, ilupa_pyobject *);
int PyDict_SetItem(ilupa_pyobject *, ilupa_pyobject *, ilupa_pyobject *);
ilupa_pyobject *PyDict_New(void);
ilupa_pyobject *PyList_New(intptr_t);
int PyDict_Next(ilupa_pyobject *, intptr_t *, ilupa_pyobject **, ilupa_pyobject **);
long long PyLong_AsLongLong(ilupa_pyobject *);
ilupa_pyobject *PyLong_FromLongLong(long long);
ilupa_pyobject *PyFloat_FromDouble(double);
const char *PyUnicode_AsUTF8AndSize(ilupa_pyobject *, intptr_t *);
ilupa_pyobject *PyUnicode_DecodeUTF8(const char *, intptr_t, const char *);
void PyUnicode_InternInPlace(ilupa_pyobject **);
ilupa_pyobject *PyErr_Occurred(void);
void PyErr_Clear(void);
void Py_IncRef(ilupa_pyobject *);
ilupa_pyobject *PyObject_Vectorcall(ilupa_pyobject *, ilupa_pyobject *const *, size_t, ilupa_pyobject *);
int PyGC_Disable(void);
int PyGC_Enable(void);
void Py_DecRef(ilupa_pyobject *);
void *realloc(void *, size_t);
]])
if not declared then
  return { live = false, why = "FFI declarations failed: " .. tostring(problem) }
end

local C = ffi.C
for _, name in next, {
  "PyGILState_Ensure", "PyGILState_Release", "PyDict_GetItem", "PyDict_SetItem", "PyDict_Next",
  "PyLong_AsLongLong", "PyLong_FromLongLong", "PyFloat_FromDouble",
  "PyUnicode_AsUTF8AndSize", "PyUnicode_DecodeUTF8", "PyUnicode_InternInPlace",
  "PyErr_Occurred", "PyErr_Clear", "Py_IncRef", "Py_DecRef", "realloc",
} do
  if not pcall(function() return C[name] end) then
    return { live = false, why = "the C API symbol " .. name .. " is not reachable" }
  end
end

local cast, istype, new_string = ffi.cast, ffi.istype, ffi.string
local PyObjectP = ffi.typeof("ilupa_pyobject *")
local VarP, ListP, TupleP = ffi.typeof("ilupa_pyvar *"), ffi.typeof("ilupa_pylist *"),
  ffi.typeof("ilupa_pytuple *")
local FloatP, DictP = ffi.typeof("ilupa_pyfloat *"), ffi.typeof("ilupa_pydict *")
local LupaP, I32P, INTPTR = ffi.typeof("ilupa_lupa_object *"), ffi.typeof("int32_t *"),
  ffi.typeof("intptr_t")
local Ensure, Release = C.PyGILState_Ensure, C.PyGILState_Release

-- Taking the GIL: lupa gave it up with PyEval_SaveThread on this same OS
-- thread, whose thread state stays registered (PyGILState_GetThisThreadState,
-- a thread-local read), so PyEval_RestoreThread/SaveThread with it do what
-- PyGILState_Ensure/Release do without their bookkeeping: about 8 ns less of
-- about 35 per access (docs/proxy.md). The thread state is looked up on every
-- take, never cached: Lua may run in any Python thread (coroutines run on the
-- thread that resumes them). When this thread already holds the GIL (Lua run
-- by Python code that kept it), nothing is taken; without a thread state, or
-- without the symbols, PyGILState_Ensure/Release.
local TOOK, HELD, ENSURED = 0, 1, 2
local current_name
for _, name in next, { "PyThreadState_GetUnchecked", "_PyThreadState_UncheckedGet" } do
  if pcall(ffi.cdef, "void *" .. name .. "(void);") and pcall(function() return C[name] end) then
    current_name = name
    break
  end
end
local take_gil, give_gil
if current_name and pcall(function()
  return C.PyGILState_GetThisThreadState, C.PyEval_RestoreThread, C.PyEval_SaveThread
end) then
  local this_thread, current = C.PyGILState_GetThisThreadState, C[current_name]
  local restore, save = C.PyEval_RestoreThread, C.PyEval_SaveThread
  take_gil = function()
    local ts = this_thread()
    if ts == nil then return ENSURED + Ensure() end
    if current() == ts then return HELD end  -- only this thread makes itself current
    restore(ts)
    return TOOK
  end
  give_gil = function(token)
    if token == TOOK then
      save()
    elseif token >= ENSURED then
      Release(token - ENSURED)
    end
  end
else
  take_gil = function() return ENSURED + Ensure() end
  give_gil = function(token) Release(token - ENSURED) end
end

-- While the GIL is held here, the hook neither polls Python nor runs the
-- memory watch (interrupt.lua): Python code could hand the GIL to another
-- thread, which could free an object this side holds only a borrowed pointer
-- to. `held` is saved and restored, so a nested take (a finalizer's access)
-- leaves the outer one marked.
local gil_step = given.gil_step
local function take_step()  -- the GIL, and whether `held` was set before
  local was = gil_step.held
  gil_step.held = true
  return take_gil(), was
end
local function give_step(g, was)
  gil_step.held = was
  give_gil(g)
end

local function object(address) return (cast(PyObjectP, address)) end
local types = given.types
local T_DICT, T_LIST, T_TUPLE = object(types.dict), object(types.list), object(types.tuple)
local T_STR, T_INT, T_FLOAT = object(types.str), object(types.int), object(types.float)
local P_NONE, P_TRUE, P_FALSE = object(types.none), object(types.true_), object(types.false_)

-- The layout this file assumes, checked on objects Python keeps alive meanwhile.
do
  local probe = given.probe
  local list, dict, float = object(probe.list), object(probe.dict), object(probe.float)
  local fits = list.ob_type == T_LIST and dict.ob_type == T_DICT and float.ob_type == T_FLOAT
    and tonumber(cast(ListP, list).ob_size) == probe.list_size
    and cast(ListP, list).ob_item[1] == object(probe.list_item)
    and tonumber(cast(DictP, dict).ma_used) == probe.dict_size
    and cast(FloatP, float).ob_fval == probe.float_value
  if not fits then
    return { live = false, why = "this Python's object layout is not the one ilupa reads" }
  end
end

return {
  live = true,
  ffi = ffi,
  C = C,
  cast = cast,
  istype = istype,
  new_string = new_string,
  PyObjectP = PyObjectP,
  VarP = VarP,
  ListP = ListP,
  TupleP = TupleP,
  FloatP = FloatP,
  DictP = DictP,
  LupaP = LupaP,
  I32P = I32P,
  INTPTR = INTPTR,
  take_step = take_step,
  give_step = give_step,
  object = object,
  T_DICT = T_DICT,
  T_LIST = T_LIST,
  T_TUPLE = T_TUPLE,
  T_STR = T_STR,
  T_INT = T_INT,
  T_FLOAT = T_FLOAT,
  P_NONE = P_NONE,
  P_TRUE = P_TRUE,
  P_FALSE = P_FALSE,
}
