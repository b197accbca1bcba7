"""Numeric arrays as PNG images, with nothing but zlib and struct.

A 2-D array is grey levels, a 3-D one (height, width, 3 or 4) is RGB or RGBA.
Integers are clipped to 0..255; floats in [0, 1] are scaled by 255, other
floats are stretched from their minimum to their maximum, so any numeric
array shows something rather than a black square.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

COLOUR_TYPES = {1: 0, 3: 2, 4: 6}  # channels -> PNG colour type (grey, RGB, RGBA)


def to_pixels(values: object) -> np.ndarray:
    """`values` as a (height, width, channels) uint8 array ready for PNG."""
    array = np.asarray(values)
    if array.ndim == 2:
        array = array[:, :, None]
    if array.ndim != 3 or array.shape[2] not in COLOUR_TYPES:
        raise ValueError(
            f"an image needs shape (h, w) or (h, w, 3|4), got {tuple(np.shape(values))}"
        )
    if array.size == 0:
        raise ValueError("an image needs at least one pixel")
    if array.dtype == np.bool_:
        return array.astype(np.uint8) * 255
    if np.issubdtype(array.dtype, np.integer):
        return np.clip(array, 0, 255).astype(np.uint8)
    if not np.issubdtype(array.dtype, np.floating):
        raise ValueError(f"an image needs numbers, got dtype {array.dtype}")
    array = np.nan_to_num(array.astype(np.float64))
    low, high = float(array.min()), float(array.max())
    if low < 0.0 or high > 1.0:
        array = (array - low) / (high - low) if high > low else np.zeros_like(array)
    return np.round(array * 255.0).astype(np.uint8)


def png_bytes(values: object) -> bytes:
    """Encode `values` (see `to_pixels`) as a PNG file."""
    pixels = to_pixels(values)
    height, width, channels = pixels.shape
    rows = np.concatenate([np.zeros((height, 1), np.uint8), pixels.reshape(height, -1)], axis=1)
    header = struct.pack(">IIBBBBB", width, height, 8, COLOUR_TYPES[channels], 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(rows.tobytes(), 6))
        + _chunk(b"IEND", b"")
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)
