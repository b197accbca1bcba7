"""The memory budget: parsing '512MB' / '2GiB', formatting bytes, and a safe default.

The default is half of physical memory, so a runaway Lua cell meets a Lua
memory error (which ilupa survives) long before the operating system's
out-of-memory killer ends the whole kernel.
"""

from __future__ import annotations

import os
import re

UNITS = {
    "": 1,
    "b": 1,
    "k": 1000,
    "kb": 1000,
    "m": 1000**2,
    "mb": 1000**2,
    "g": 1000**3,
    "gb": 1000**3,
    "t": 1000**4,
    "tb": 1000**4,
    "kib": 1 << 10,
    "mib": 1 << 20,
    "gib": 1 << 30,
    "tib": 1 << 40,
}
SIZE = re.compile(r"^\s*(?P<number>\d+(?:\.\d+)?)\s*(?P<unit>[a-zA-Z]*)\s*$")
DEFAULT_SHARE_OF_RAM = 0.5


def parse_bytes(value: int | float | str) -> int:
    """Bytes from an int or a size such as '512MB', '1.5 GiB', '64mib'."""
    if isinstance(value, bool):
        raise ValueError(f"not a memory size: {value!r}")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError(f"memory size cannot be negative: {value!r}")
        return int(value)
    match = SIZE.match(value)
    unit = match["unit"].lower() if match else None
    if match is None or unit not in UNITS:
        raise ValueError(
            f"not a memory size: {value!r} (use bytes or e.g. '512MB', '2GiB', '1.5GB')"
        )
    return int(float(match["number"]) * UNITS[unit])


def format_bytes(count: float) -> str:
    """'1.5 GiB', '512.0 MiB', '900 B': binary units, as memory is allocated."""
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if abs(count) >= size:
            return f"{count / size:.1f} {unit}"
    return f"{int(count)} B"


def physical_memory() -> int | None:
    """Total RAM in bytes, or None where the platform does not say."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def default_memory_limit() -> int:
    """Half of physical memory (4 GiB when RAM cannot be read)."""
    ram = physical_memory()
    return int(ram * DEFAULT_SHARE_OF_RAM) if ram else 4 << 30


def parse_share(value: float) -> float:
    """A warning share: a fraction strictly between 0 and 1 (0.75 = warn at 75%)."""
    share = float(value)
    if not 0 < share < 1:
        raise ValueError(f"memory_warning must be a fraction between 0 and 1, got {value!r}")
    return share
