"""Reading back the PNG images ilupa shows, to check their pixels in tests."""

from __future__ import annotations

import base64
import struct
import zlib

import numpy as np


def decode_png(data: bytes) -> np.ndarray:
    """Read back the PNGs png_bytes writes (8-bit, filter 0 rows), to check pixels."""
    if isinstance(data, str):  # some IPython set-ups hand PNGs over base64-encoded
        data = base64.b64decode(data)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, position = {}, 8
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        (crc,) = struct.unpack(">I", data[position + 8 + length : position + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF
        chunks[kind] = chunks.get(kind, b"") + body
        position += 12 + length
    width, height, _, colour, *_ = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    channels = {0: 1, 2: 3, 6: 4}[colour]
    rows = np.frombuffer(zlib.decompress(chunks[b"IDAT"]), np.uint8).reshape(height, -1)
    assert (rows[:, 0] == 0).all()
    return rows[:, 1:].reshape(height, width, channels)
