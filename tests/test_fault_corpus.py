"""The fault corpus (tests/fault_corpus/) in real kernels: each bad input gives a clear
error or its defined result, the kernel answers afterwards, and the Lua globals and
Python variables defined before it keep their values.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.fault_corpus import LUA, PYTHON, Entry, Group
from tests.fault_corpus.catalog import GROUPS
from tests.fault_corpus.kernel import LUA_EXPECTED, PYTHON_EXPECTED, TIMEOUT, CorpusKernel

pytestmark = pytest.mark.kernel

LINE_REFERENCE = re.compile(r":(\d+):")
INTERRUPT_TIMEOUT = 10  # a cell the interrupt stops replies within a second


class KernelPool:
    """One live kernel at a time: entries run group by group, so each group starts one."""

    def __init__(self) -> None:
        self.key: tuple[str, str] | None = None
        self.kernel: CorpusKernel | None = None

    def get(self, group: Group, kind: str) -> CorpusKernel:
        if self.key != (group.name, kind):
            self.close()
            self.kernel = CorpusKernel(kind, group.runtime, setup=group.setup)
            self.key = (group.name, kind)
        assert self.kernel is not None
        if not self.kernel.is_alive():
            self.kernel.shutdown()
            self.kernel = CorpusKernel(kind, group.runtime, setup=group.setup)
        return self.kernel

    def close(self) -> None:
        if self.kernel is not None:
            self.kernel.shutdown()
        self.kernel = self.key = None


@pytest.fixture(scope="module")
def pool() -> Iterator[KernelPool]:
    kernels = KernelPool()
    yield kernels
    kernels.close()


def _cases() -> list:
    cases = []
    for group in GROUPS:
        for kind in group.kernels:
            for entry in group.entries:
                known_bug = entry.xfail and kind in entry.xfail_in
                # Not strict: some known bugs (memory corruption) strike only at times.
                marks = [pytest.mark.xfail(strict=False, reason=entry.xfail)] if known_bug else []
                name = f"{group.name}-{kind}-{entry.name}"
                cases.append(pytest.param(group, kind, entry, id=name, marks=marks))
    return cases


def _cell(kernel: CorpusKernel, entry: Entry) -> str:
    if entry.language == LUA:
        return kernel.lua_cell(entry.code)
    if entry.language == PYTHON:
        return kernel.python_cell(entry.code)
    return entry.code


def _expected_error(kernel: CorpusKernel, entry: Entry) -> str | None:
    """The corpus names lines as a Lua cell of the ilupa kernel has them; in a Python
    kernel the `%%lua` line is the cell's line 1, so every Lua line is one further down."""
    if entry.error is None or entry.language != LUA or kernel.kind == "ilupa":
        return entry.error
    return LINE_REFERENCE.sub(lambda found: f":{int(found[1]) + 1}:", entry.error)


@pytest.mark.parametrize(("group", "kind", "entry"), _cases())
def test_bad_input_leaves_the_kernel_and_its_state_intact(
    pool: KernelPool, group: Group, kind: str, entry: Entry
) -> None:
    kernel = pool.get(group, kind)
    timeout = INTERRUPT_TIMEOUT if entry.interrupt else TIMEOUT
    reply = kernel.execute(_cell(kernel, entry), interrupt=entry.interrupt, timeout=timeout)
    try:
        assert reply.status in ("ok", "error"), f"kernel {reply.status} after the cell"
        if entry.error is not None:
            assert reply.status == "error", f"expected an error, got {reply}"
            assert _expected_error(kernel, entry) in reply.error_text
        else:
            assert reply.status == "ok", f"expected success, got {reply.error_text}"
            if entry.shows is not None:
                assert entry.shows in "\n".join(
                    [reply.result, reply.stdout, reply.stderr, *reply.outputs]
                )
        assert kernel.state_report() == (LUA_EXPECTED, PYTHON_EXPECTED)
    finally:
        if reply.status not in ("ok", "error") or entry.xfail:
            pool.close()  # a known bug may leave the kernel broken: the next entry starts afresh
