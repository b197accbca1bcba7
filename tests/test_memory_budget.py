"""The budget accepts bytes and '512MB'-style sizes and defaults to half of RAM."""

from __future__ import annotations

import os

import pytest

from ilupa.memory.budget import default_memory_limit, format_bytes, parse_bytes, parse_share


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (512, 512),
        ("512MB", 512 * 1000**2),
        ("2GiB", 2 << 30),
        ("1.5 GB", 1_500_000_000),
        ("64mib", 64 << 20),
        ("100", 100),
    ],
)
def test_sizes_parse_to_bytes(text: str | int, expected: int) -> None:
    assert parse_bytes(text) == expected


@pytest.mark.parametrize("text", ["lots", "12 parsecs", "-5", True])
def test_nonsense_sizes_are_rejected(text: object) -> None:
    with pytest.raises(ValueError):
        parse_bytes(text)  # type: ignore[arg-type]


def test_default_limit_is_half_of_physical_memory() -> None:
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    assert default_memory_limit() == ram // 2


def test_warning_share_must_be_a_fraction() -> None:
    assert parse_share(0.75) == 0.75
    with pytest.raises(ValueError):
        parse_share(1.5)


def test_bytes_format_in_binary_units() -> None:
    assert format_bytes(3 << 30) == "3.0 GiB"
    assert format_bytes(1536) == "1.5 KiB"
    assert format_bytes(12) == "12 B"
