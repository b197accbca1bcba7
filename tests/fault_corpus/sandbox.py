"""Untrusted code in `%%lua --sandbox` that attacks the host process, not Python.

The sandbox keeps Python out; these entries check that recursion through C
(nested coroutines, gsub callbacks, __tostring) cannot kill the kernel either,
on the JIT runtime whose C stack has no limit of its own.
"""

from __future__ import annotations

from tests.fault_corpus import Group, raw

SANDBOX = "%%lua --sandbox\n"


def sandboxed(name: str, code: str, error: str | None = None, shows: str | None = None):
    return raw(name, SANDBOX + code, error=error, shows=shows)


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
    sandboxed("still-works", "return ('abc'):gsub('b', string.upper)", shows="'aBc'"),
)

GROUPS = (Group("sandbox", ENTRIES, kernels=("python",), runtime="luajit21"),)
