"""The logo signal: a perceptual hash of a profile image against the brand's official logo files.

Images come from the web and are untrusted: they are read only up to MAX_IMAGE_BYTES, their
header is checked against MAX_PIXELS before any pixel is decoded (a small file can announce a
huge canvas), and anything Pillow cannot read is simply "no image". Pillow is imported only when
an image is hashed: a brand without logo files never loads it.
"""

from __future__ import annotations

import io
import math
import statistics
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from monitor.errors import ConfigError

if TYPE_CHECKING:
    from PIL.Image import Image as PilImage

MAX_IMAGE_BYTES = 2_000_000
MAX_PIXELS = 16_000_000
# Hamming distance between 64-bit perceptual hashes up to which two images are the same logo
# (re-encoded, resized or lightly cropped copies stay within it; different emblems do not).
MAX_DISTANCE = 8
# pHash: the image is reduced to SAMPLE×SAMPLE grey pixels and the lowest KEEP×KEEP cosine
# frequencies are compared with their median, giving KEEP² = 64 bits.
SAMPLE = 32
KEEP = 8


@dataclass(frozen=True, slots=True)
class LogoMatch:
    """A profile image that is one of the brand's logos."""

    logo: str  # file name of the official logo
    distance: int

    @property
    def signal(self) -> str:
        return f"logo:{self.logo}:{self.distance}"


def image_hash(body: bytes) -> int | None:
    """The perceptual hash of an image, or None when it is too large or not an image."""
    if not body or len(body) > MAX_IMAGE_BYTES:
        return None
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(body)) as image:
                width, height = image.size
                if width <= 0 or height <= 0 or width * height > MAX_PIXELS:
                    return None
                image.load()
                return phash(_flatten(image))
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        return None
    except (OSError, ValueError, SyntaxError, EOFError):  # truncated or malformed data
        return None


def distance(first: int, second: int) -> int:
    """The number of differing bits between two hashes."""
    return (first ^ second).bit_count()


def phash(image: PilImage) -> int:
    """The 64-bit DCT perceptual hash of an image (the same construction as imagehash.phash)."""
    from PIL import Image

    grey = image.convert("L").resize((SAMPLE, SAMPLE), Image.Resampling.LANCZOS)
    pixels = list(grey.tobytes())  # mode "L": one byte per pixel
    rows = [pixels[start : start + SAMPLE] for start in range(0, SAMPLE * SAMPLE, SAMPLE)]
    basis = _cosines()
    # A separable DCT-II: along each row, then down each column, keeping only the low frequencies.
    along = [[sum(c * p for c, p in zip(basis[k], row, strict=True)) for k in range(KEEP)] for row in rows]
    low = [sum(c * along[n][u] for n, c in enumerate(basis[v])) for v in range(KEEP) for u in range(KEEP)]
    middle = statistics.median(low)
    bits = 0
    for value in low:
        bits = (bits << 1) | (value > middle)
    return bits


@cache
def _cosines() -> tuple[tuple[float, ...], ...]:
    """cos(π·k·(2n+1)/2N) for the KEEP lowest frequencies k over SAMPLE samples n."""
    return tuple(
        tuple(math.cos(math.pi * k * (2 * n + 1) / (2 * SAMPLE)) for n in range(SAMPLE)) for k in range(KEEP)
    )


def _flatten(image: PilImage) -> PilImage:
    """Transparent logos on white, as they are shown."""
    from PIL import Image

    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


class LogoBook:
    """The official logos of one brand, hashed once."""

    def __init__(self, hashes: Sequence[tuple[str, int]]) -> None:
        self.hashes = tuple(hashes)

    def __bool__(self) -> bool:
        return bool(self.hashes)

    @classmethod
    def load(cls, files: Sequence[Path], base: Path, *, where: str = "brands.toml") -> LogoBook:
        """Hash the logo files (relative paths are relative to `base`, the config folder)."""
        hashes: list[tuple[str, int]] = []
        for file in files:
            path = file if file.is_absolute() else base / file
            try:
                body = path.read_bytes()
            except OSError as exc:
                raise ConfigError(where, "logo_files", f"cannot read {path}: {exc.strerror or exc}") from exc
            found = image_hash(body)
            if found is None:
                raise ConfigError(where, "logo_files", f"{path} is not an image that can be read")
            hashes.append((path.name, found))
        return cls(hashes)

    def match(self, body: bytes) -> LogoMatch | None:
        """The closest official logo within MAX_DISTANCE of this image, if any."""
        if not self.hashes:
            return None
        found = image_hash(body)
        if found is None:
            return None
        name, closest = min(((n, distance(h, found)) for n, h in self.hashes), key=lambda item: item[1])
        return LogoMatch(name, closest) if closest <= MAX_DISTANCE else None
