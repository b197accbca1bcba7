"""Copies into Lua near and past the memory budget: each fits, or is refused with Lua unchanged.

Before copies ran in a copy room (ilupa/memory/copy_room.py), `%%lua -c lst`
with a list the estimate put under the budget aborted the kernel ("PANIC:
unprotected error in call to Lua API") on lua51-lua54, and `ilupa.copy(py.lst)`
from Lua left the GIL held for good. A list whose big string sits where the
estimate's sample does not look, and data nested deeper than the estimate
looked, are the estimates that are wrong on purpose: the copy itself must
refuse them.
"""

from __future__ import annotations

from ilupa.runtimes import available_runtimes
from tests.fault_corpus import Group, fails, gives, python, raw

LIMIT = raw("budget", "%config LuaMagics.memory_limit = '64MB'")


def data(runtime: str):
    """The issue's 2.5M-number list; where slots are smaller (so that one fits) twice as long."""
    count = 2_500_000 if runtime in ("lua51", "lua52", "lua53", "lua54") else 5_000_000
    return python(
        "data",
        f"lst = list(range({count}))\n"
        "fits = list(range(1_000_000))\n"
        "hidden = ['x'] * 1000\nhidden[1] = 'y' * 80_000_000\n"
        "deep = [list(range(9_000_000))]\n"
        "for _ in range(100):\n    deep = [deep]\n"
        "shared = {'k': 1}\npair = [shared, shared]\n",
    )


REFUSED = "LuaCopyRefused"

ENTRIES = (
    raw("copy-magic-past-budget", "%%lua -c lst\nreturn #lst", error=REFUSED),
    gives("nothing-bound-after-refusal", "return lst == nil", "True"),
    fails("copy-from-lua-past-budget", "big_copy = ilupa.copy(py.lst)", REFUSED),
    gives("lua-unchanged-after-refusal", "return big_copy == nil", "True"),
    raw("big-string-outside-the-sample", "%%lua -c hidden\nreturn #hidden", error=REFUSED),
    fails("big-string-from-lua", "return #ilupa.copy(py.hidden)", REFUSED),
    raw("nested-deeper-than-estimates-looked", "%%lua -c deep\nreturn #deep", error=REFUSED),
    raw("copy-that-fits", "%%lua -c fits\nreturn #fits", shows="1000000"),
    gives("free-it", "fits = nil\ncollectgarbage()\nreturn fits == nil", "True"),
    raw("two-copies-refused-together", "%%lua -c fits,lst\nreturn #fits", error=REFUSED),
    gives("neither-bound", "return fits == nil and lst == nil", "True"),
    raw(
        "copy-keeps-shared-references",
        "%%lua -c pair\nreturn rawequal(pair[1], pair[2])",
        shows="True",
    ),
    raw("line-magic-copy", "%lua -c pair rawequal(pair[1], pair[2])", shows="True"),
    gives("still-works", "local t = {}\nfor i = 1, 1000 do t[i] = i end\nreturn #t", "1000"),
)

GROUPS = tuple(
    Group(
        f"copies-{runtime}",
        ENTRIES,
        kernels=("python",),
        runtime=runtime,
        setup=(LIMIT, data(runtime)),
    )
    for runtime in available_runtimes()
)
