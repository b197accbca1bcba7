"""Untrusted code in `%%lua --sandbox` that attacks the host process, not Python.

The sandbox keeps Python out; these entries check that recursion through C
(nested coroutines, gsub callbacks, __tostring) cannot kill the kernel either,
on the JIT runtime whose C stack has no limit of its own.
"""

from __future__ import annotations

from ilupa.runtimes import available_runtimes
from tests.fault_corpus import Entry, Group, python, raw

SANDBOX = "%%lua --sandbox\n"


def sandboxed(
    name: str, code: str, error: str | None = None, shows: str | None = None, **options: object
) -> Entry:
    return Entry(name, SANDBOX + code, error=error, shows=shows, language="raw", **options)  # type: ignore[arg-type]


ENTRIES = (
    sandboxed(
        "gsub-callback-recursion",
        "local function f(s) return (s:gsub('.', f)) end\nf('ab')",
        error="C stack overflow",
    ),
    sandboxed(
        "wrap-recursion",
        "local function r() return coroutine.wrap(r)() end\nreturn r()",
        error="C stack overflow",
    ),
    sandboxed(
        "resume-recursion",
        "local function r()\n  local ok, e = coroutine.resume(coroutine.create(r))\n"
        "  assert(ok, e)\nend\nr()",
        error="C stack overflow",
    ),
    sandboxed(
        "tostring-recursion",
        "local t = setmetatable({}, {__tostring = function(s) return tostring(s) end})\n"
        "return tostring(t)",
        error="C stack overflow",
    ),
    sandboxed(
        "sort-in-nested-wraps",
        "local function f(n)\n  return coroutine.wrap(function()\n    local d = 0\n"
        "    local function s() d = d + 1\n"
        "      if d < 3000 then table.sort({3, 2, 1}, function(a, b) s() return a < b end)\n"
        "      else f(n + 1)() end end\n    s()\n  end)\nend\nf(1)()",
        error="stack overflow",
    ),
    sandboxed("still-works", "return ('abc'):gsub('b', string.upper)", shows="'aBc'"),
)

# A full sandbox, inputs past its budget, outputs past the host-side limit and a
# cell of long C calls under the instruction budget: before the sandbox lifted
# its budget around lupa's unprotected steps these aborted the kernel (PANIC on
# luajit21 and lua51; lua52 called the full heap a syntax error), copied 10**7
# numbers in without a look at the budget, grew the host by 800 MB, and ran on
# past the stop button.
SANDBOX_BUDGET = raw("sandbox-budget", "%config LuaMagics.sandbox_memory_limit = '64MiB'")
BIG_INPUT = python("big-input", "big = list(range(10**7))\nsmall = list(range(1000))")
MEMORY_ENTRIES = (
    sandboxed("fill-the-heap", "while true do hog = {hog} end", error="SandboxMemoryLimit"),
    sandboxed("next-cell-runs", "return hog == nil, 1 + 1", shows="2"),
    sandboxed(
        "keep-most-of-the-heap",
        "keep = {}\nfor i = 1, 58 do keep[i] = string.rep('x', 2^20) .. i collectgarbage() end\nreturn #keep",
    ),
    sandboxed(
        "a-cell-in-a-full-heap",
        "local t = {}\nfor i = 1, 1e7 do t[i] = i end",
        error="SandboxMemoryLimit",
    ),
    sandboxed("small-cell-in-a-full-heap", "return #keep", shows="58"),
    sandboxed("free-it", "keep = nil\ncollectgarbage()\nreturn keep == nil", shows="True"),
    raw("input-past-the-budget", "%%lua --sandbox -i big\nreturn #big", error="SandboxCopyRefused"),
    raw("input-that-fits", "%%lua --sandbox -i small\nreturn #small", shows="1000"),
    raw(
        "output-past-the-host-limit",
        "%%lua --sandbox -o t\nlocal s = string.rep('x', 8 * 2^20)\nt = {}\n"
        "for i = 1, 100 do t[i] = s end",
        error="SandboxOutputLimit",
    ),
    sandboxed(
        "short-c-calls-interrupted",
        "for i = 1, 1e6 do local s = string.rep('x', 1e6 + i) end",
        error="KeyboardInterrupt",
        interrupt=True,
    ),
    # printed output had no limit
    sandboxed(
        "print-past-the-output-budget",
        "local s = string.rep('x', 2^20)\nfor i = 1, 40 do print(s) end\nreturn 'printed'",
        shows="[ilupa: output cut here:",
    ),
    # a message listing every dropped global (7 million characters)
    sandboxed(
        "millions-of-globals-named-briefly",
        "for i = 1, 3e6 do _G['g' .. i] = i end",
        error=" more. The sandbox now uses",
    ),
    sandboxed("works-after", "return ('abc'):upper()", shows="'ABC'"),
)
SANDBOX_RUNTIMES = [name for name in available_runtimes() if name != "luajit20"]

GROUPS = (
    Group("sandbox", ENTRIES, kernels=("python",), runtime="luajit21"),
    *(
        Group(
            f"sandbox-memory-{runtime}",
            MEMORY_ENTRIES,
            kernels=("python",),
            runtime=runtime,
            setup=(
                raw("sandbox-runtime", f"%config LuaMagics.sandbox_runtime = '{runtime}'"),
                SANDBOX_BUDGET,
                BIG_INPUT,
            ),
        )
        for runtime in SANDBOX_RUNTIMES
    ),
)
