"""Draw the ilupa kernel logo: ilupa/kernel/logo/logo-{32x32,64x64}.png and logo-svg.svg.

A blue planet (Lua) with a white "i" (ilupa), and a yellow moon (Python) close by.
The shapes are described once, as circles and a rounded bar on a 64-unit square; the
SVG writes them out and the PNGs are rasterised here with 4x4 supersampling and
written with zlib, so the picture needs no imaging library. Run it after changing a
shape: `python tools/draw_logo.py`.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

LOGO_DIR = Path(__file__).resolve().parent.parent / "ilupa" / "kernel" / "logo"
UNITS = 64
SAMPLES = 4

Color = tuple[int, int, int]
PLANET: Color = (0x1F, 0x3A, 0x93)
LETTER: Color = (0xFF, 0xFF, 0xFF)
MOON: Color = (0xFF, 0xD4, 0x3B)


@dataclass(frozen=True)
class Circle:
    cx: float
    cy: float
    r: float
    color: Color

    def covers(self, x: float, y: float) -> bool:
        return (x - self.cx) ** 2 + (y - self.cy) ** 2 <= self.r**2

    def svg(self) -> str:
        fill = hex_color(self.color)
        return f'<circle cx="{self.cx}" cy="{self.cy}" r="{self.r}" fill="{fill}"/>'


@dataclass(frozen=True)
class Bar:
    """A rectangle with round ends (radius half its width)."""

    x: float
    y: float
    width: float
    height: float
    color: Color

    def covers(self, x: float, y: float) -> bool:
        r = self.width / 2
        cx = self.x + r
        if not self.x <= x <= self.x + self.width:
            return False
        top, bottom = self.y + r, self.y + self.height - r
        nearest = min(max(y, top), bottom)
        return (x - cx) ** 2 + (y - nearest) ** 2 <= r**2

    def svg(self) -> str:
        r = self.width / 2
        return (
            f'<rect x="{self.x}" y="{self.y}" width="{self.width}" height="{self.height}" '
            f'rx="{r}" ry="{r}" fill="{hex_color(self.color)}"/>'
        )


# Painted in order: later shapes cover earlier ones.
SHAPES: tuple[Circle | Bar, ...] = (
    Circle(28, 36, 26, PLANET),
    Circle(53, 11, 9, MOON),
    Circle(28, 21, 4.5, LETTER),
    Bar(24, 29, 8, 22, LETTER),
)


def hex_color(color: Color) -> str:
    return "#{:02x}{:02x}{:02x}".format(*color)


def svg() -> str:
    body = "\n  ".join(shape.svg() for shape in SHAPES)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{UNITS}" height="{UNITS}" '
        f'viewBox="0 0 {UNITS} {UNITS}">\n  {body}\n</svg>\n'
    )


def pixel(px: int, py: int, size: int) -> bytes:
    """One RGBA pixel: the average of SAMPLES x SAMPLES points inside it."""
    scale = UNITS / size
    red = green = blue = alpha = 0
    for sy in range(SAMPLES):
        for sx in range(SAMPLES):
            x = (px + (sx + 0.5) / SAMPLES) * scale
            y = (py + (sy + 0.5) / SAMPLES) * scale
            color = None
            for shape in SHAPES:
                if shape.covers(x, y):
                    color = shape.color
            if color is not None:
                red, green, blue = red + color[0], green + color[1], blue + color[2]
                alpha += 1
    if alpha == 0:
        return bytes(4)
    return bytes((red // alpha, green // alpha, blue // alpha, round(255 * alpha / SAMPLES**2)))


def png(size: int) -> bytes:
    """A size x size RGBA PNG of the shapes."""
    rows = b"".join(
        b"\x00" + b"".join(pixel(px, py, size) for px in range(size)) for py in range(size)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        checksum = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + checksum

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


def main() -> None:
    LOGO_DIR.mkdir(parents=True, exist_ok=True)
    for size in (32, 64):
        (LOGO_DIR / f"logo-{size}x{size}.png").write_bytes(png(size))
    (LOGO_DIR / "logo-svg.svg").write_text(svg())


if __name__ == "__main__":
    main()
