"""`os.exit`, `io` misuse, and cells that reset the Lua state they run in."""

from __future__ import annotations

from tests.fault_corpus import Group, fails, gives, python, raw

REFUSED_EXIT = "os.exit would stop the kernel"
RESET_REFUSED = "cannot run while a Lua cell is running"

ENTRIES = (
    fails("os-exit", "os.exit()", REFUSED_EXIT),
    fails("os-exit-code", "os.exit(3)", REFUSED_EXIT),
    fails("os-exit-close", "os.exit(0, true)", REFUSED_EXIT),
    fails("os-exit-through-local", "local leave = os.exit\nleave(1)", REFUSED_EXIT),
    gives("os-exit-in-pcall", "local ok, e = pcall(os.exit)\nreturn ok, e", "False"),
    # a frontend without stdin is an empty standard input: reads return nil
    gives("io-read-without-stdin", "return io.read() == nil", "True"),
    gives("io-read-number-without-stdin", "return io.read('*n') == nil", "True"),
    gives("io-open-missing", "return io.open('/nonexistent/x')", "No such file"),
    fails("io-open-missing-then-read", "io.open('/nonexistent/x'):read()", "attempt to index"),
    fails("io-lines-missing", "for l in io.lines('/nonexistent/x') do end", "No such file"),
    fails("io-output-bad-path", "io.output('/nonexistent/dir/x')", "No such file"),
    fails("io-write-table", "io.write({})", "bad argument #1"),
    gives("io-stderr-write", "io.stderr:write('to stderr')", "to stderr"),
    fails("io-read-bad-format", "return io.read('*x')", "invalid format"),
    gives(
        "io-close-default-output",
        "local ok = pcall(io.close)\nprint('still printing')",
        "still printing",
    ),
    gives(
        "io-stdout-close",
        "pcall(io.stdout.close, io.stdout)\nio.write('still writing')",
        "still writing",
    ),
    gives("os-remove-missing", "return os.remove('/nonexistent/x')", "No such file"),
    fails("os-getenv-nil", "os.getenv(nil)", "bad argument #1"),
    fails("os-date-bad-time", "os.date('*t', 'x')", "bad argument #2"),
    fails(
        "print-failing-tostring",
        "print(setmetatable({}, {__tostring = function() error('pt') end}))",
        "pt",
    ),
    fails(
        "reset-from-its-own-cell",
        "py.get_ipython().run_line_magic('lua_reset', '')",
        RESET_REFUSED,
    ),
    fails(
        "reset-runtime-from-its-own-cell",
        "py.get_ipython().run_line_magic('lua_reset', 'lua53')",
        RESET_REFUSED,
    ),
    gives(
        "reset-refused-then-cell-continues",
        "local ok = pcall(py.get_ipython().run_line_magic, py.get_ipython(), 'lua_reset', '')\n"
        "return ok, lua_number",
        "(False, 7)",
    ),
    gives(
        "runtime-change-from-its-own-cell",
        "py.get_ipython().run_line_magic('config', \"LuaMagics.runtime = 'lua53'\")\nreturn lua_number",
        "7",
    ),
    python(
        "python-cell-resetting-inside-lua",
        "get_ipython().run_cell_magic('lua', '', \"py.get_ipython().run_line_magic('lua_reset', '')\")",
        error=RESET_REFUSED,
    ),
    gives(
        "nested-lua-cell",
        "py.get_ipython().run_cell_magic('lua', '', 'nested_value = 5')\nreturn nested_value",
        "5",
    ),
    fails(
        "nested-lua-cell-fails",
        "py.get_ipython().run_cell_magic('lua', '', 'error(\"inner cell\")')",
        "inner cell",
    ),
    raw("reset-unknown-runtime", "%lua_reset lua99", error="lua99"),
    raw("memory-limit-negative", "%config LuaMagics.memory_limit = -1\n%lua lua_number", shows="7"),
    raw(
        "memory-limit-nonsense",
        "%config LuaMagics.memory_limit = 'lots'\n%lua lua_number",
        shows="7",
    ),
    raw("memory-limit-zero", "%config LuaMagics.memory_limit = 0\n%lua lua_number", shows="7"),
    # names that are no Python identifiers used to be bound silently; -h was refused
    raw("output-dotted-name", "%%lua -o t.x\nt = {x = 1}", error="not a Python variable name"),
    raw("output-dashed-name", "%%lua -o a-b\nx = 1", error="not a Python variable name"),
    raw("output-digit-first-name", "%%lua -o 1abc\nx = 1", error="not a Python variable name"),
    raw("line-magic-help", "%lua -h", shows="--output"),
    gives("debug-sethook-cleared", "debug.sethook()\nreturn lua_number", "7"),
)

GROUPS = (Group("system", ENTRIES),)
