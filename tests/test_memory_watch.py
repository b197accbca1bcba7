"""The memory watch warns on the share, and on a growth step that would not fit."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from ilupa.memory.watch import MemoryWatch

MIB = 1 << 20


def scripted(values: list[int]) -> Callable[[], int]:
    """A usage reader that returns `values` in turn (what a growing Lua would report)."""
    samples: Iterator[int] = iter(values)
    return lambda: next(samples)


def run_watch(values: list[int], limit: int | None = 96 * MIB) -> list[tuple[int, int]]:
    warnings: list[tuple[int, int]] = []
    watch = MemoryWatch(
        scripted(values), 72 * MIB, lambda used, step: warnings.append((used, step)), limit=limit
    )
    for _ in values:
        watch.sample()
    return warnings


def test_doubling_that_would_pass_the_limit_warns_below_the_share() -> None:
    assert run_watch([16 * MIB, 32 * MIB, 32 * MIB, 64 * MIB, 64 * MIB]) == [(64 * MIB, 64 * MIB)]


def test_steady_growth_warns_when_crossing_the_share() -> None:
    assert run_watch([mib * MIB for mib in range(60, 80, 2)]) == [(72 * MIB, 0)]


def test_warns_once_per_cell() -> None:
    assert len(run_watch([70 * MIB, 80 * MIB, 90 * MIB])) == 1


def test_without_a_limit_only_the_share_counts() -> None:
    assert run_watch([16 * MIB, 32 * MIB, 64 * MIB, 65 * MIB], limit=None) == []
