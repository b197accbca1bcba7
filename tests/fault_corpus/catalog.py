"""Every group of the fault corpus, in the order the tests run them."""

from __future__ import annotations

from tests.fault_corpus import (
    arrays,
    c_stack,
    callbacks,
    copies,
    coroutines,
    crossing,
    forged,
    interrupts,
    memory,
    metamethods,
    reset,
    runtime_errors,
    sandbox,
    syntax,
    system,
    text_bytes,
)

GROUPS = (
    *syntax.GROUPS,
    *runtime_errors.GROUPS,
    *crossing.GROUPS,
    *coroutines.GROUPS,
    *c_stack.GROUPS,
    *metamethods.GROUPS,
    *interrupts.GROUPS,
    *forged.GROUPS,
    *arrays.GROUPS,
    *text_bytes.GROUPS,
    *system.GROUPS,
    *memory.GROUPS,
    *reset.GROUPS,
    *copies.GROUPS,
    *sandbox.GROUPS,
    *callbacks.GROUPS,
)
