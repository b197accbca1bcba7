"""Recursion through C functions that call back into Lua, mixed across coroutines.

LuaJIT puts no limit on C functions calling Lua (PUC Lua stops at 200 with
"C stack overflow"): before one count covered them all (ilupa/c_stack_guard.lua)
a `table.sort` comparator recursing inside nested `coroutine.wrap`s, each
level a fresh coroutine, ended the kernel with SIGSEGV on luajit21 and
luajit20. Each entry recurses through a different C function, or several at
once; each must stop with Lua's own error and leave the kernel working.
"""

from __future__ import annotations

from tests.fault_corpus import Group, fails, gives

OVERFLOW = "stack overflow"  # "C stack overflow"; Lua's own "stack overflow" where it comes first

ENTRIES = (
    fails(
        "sort-in-nested-wraps",
        "local function level(n)\n"
        "  return coroutine.wrap(function()\n"
        "    local depth = 0\n"
        "    local function sorter()\n"
        "      depth = depth + 1\n"
        "      if depth < 3000 then\n"
        "        table.sort({3, 2, 1}, function(a, b) sorter() return a < b end)\n"
        "      else\n"
        "        level(n + 1)()\n"
        "      end\n"
        "    end\n"
        "    sorter()\n"
        "  end)\n"
        "end\n"
        "level(1)()",
        OVERFLOW,
    ),
    fails(
        "sort-comparator-in-fresh-coroutines",
        "local function f(n)\n"
        "  return coroutine.wrap(function()\n"
        "    table.sort({3, 2, 1}, function(a, b) f(n + 1)() return a < b end)\n"
        "  end)\n"
        "end\n"
        "f(1)()",
        OVERFLOW,
    ),
    fails(
        "less-than-metamethod-through-sort",
        "local mt = {}\n"
        "mt.__lt = function(a, b) table.sort({setmetatable({}, mt), setmetatable({}, mt)}) "
        "return false end\n"
        "table.sort({setmetatable({}, mt), setmetatable({}, mt)})",
        OVERFLOW,
    ),
    fails(
        "gsub-table-index-recursion",
        "local t\n"
        "t = setmetatable({}, {__index = function(_, k) return ('ab'):gsub('.', t) end})\n"
        "return ('ab'):gsub('.', t)",
        OVERFLOW,
    ),
    fails(
        "format-tostring-recursion",
        "local t = setmetatable({}, {__tostring = function(s) return string.format('%s', s) end})\n"
        "return string.format('%s', t)",
        OVERFLOW,
    ),
    fails(
        "print-tostring-recursion",
        "local t = setmetatable({}, {__tostring = function(s) print(s) return 'x' end})\nprint(t)",
        OVERFLOW,
    ),
    gives(
        "load-reader-recursion",  # PUC's load catches its reader's errors, LuaJIT's not
        "local function reader()\n  load(reader)\n  return nil\nend\npcall(load, reader)\n"
        "return 'survived'",
        "survived",
    ),
    fails(
        "mixed-sort-gsub-tostring-resume",
        "local step = 0\nlocal t\nlocal function again()\n  step = step + 1\n"
        "  local k = step % 4\n"
        "  if k == 0 then table.sort({2, 1}, function(a, b) again() return a < b end)\n"
        "  elseif k == 1 then ('a'):gsub('.', again)\n"
        "  elseif k == 2 then tostring(t)\n"
        "  else coroutine.wrap(again)() end\nend\n"
        "t = setmetatable({}, {__tostring = function() again() return 't' end})\nagain()",
        OVERFLOW,
    ),
    gives(
        "errors-unwinding-leave-no-count",
        "local function deep(n) if n == 0 then error('bottom') end "
        "table.sort({2, 1}, function(a, b) deep(n - 1) return a < b end) end\n"
        "for i = 1, 500 do pcall(deep, 150) end\n"
        "local ok, e = pcall(deep, 150)\nreturn e",
        "bottom",
    ),
    gives(
        "nesting-within-the-limit-works",
        "local function nest(n) if n == 0 then return 0 end\n"
        "  return coroutine.wrap(function() return 1 + nest(n - 1) end)() end\n"
        "return nest(150)",
        "150",
    ),
)

GROUPS = tuple(
    Group(f"c-stack-{runtime}", ENTRIES, kernels=("ilupa",), runtime=runtime)
    for runtime in ("luajit21", "luajit20", "lua54")
)
