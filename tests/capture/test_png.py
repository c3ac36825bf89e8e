"""The screenshot's PNG check: structure and size read without Pillow, the blank check only with it."""

from __future__ import annotations

import struct
import sys
import zlib
from pathlib import Path

import pytest

from monitor.capture.chromium import CaptureFailed
from monitor.capture.proxy import ProxyLog
from monitor.capture.shooter import PNG_SIGNATURE, png_size
from tests.capture.conftest import make_shooter


def chunk(kind: bytes, data: bytes, *, crc: int | None = None) -> bytes:
    checksum = zlib.crc32(kind + data) if crc is None else crc
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", checksum)


def header(width: int, height: int, depth: int = 8, colour: int = 2, interlace: int = 0) -> bytes:
    return chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, interlace))


def rgb_png(
    width: int, height: int, pixel: tuple[int, int, int] = (255, 255, 255), *, dot: bool = False
) -> bytes:
    """A truecolour 8-bit PNG made by hand: one filter byte (none) then the pixels of each row."""
    rows = []
    for y in range(height):
        row = bytearray(bytes(pixel) * width)
        if dot and y == 1:
            row[3:6] = b"\xc8\x00\x00"
        rows.append(b"\x00" + bytes(row))
    body = zlib.compress(b"".join(rows))
    return PNG_SIGNATURE + header(width, height) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def test_a_hand_made_png_is_read_without_decoding_it() -> None:
    assert png_size(rgb_png(64, 48), 800, 600) == (64, 48)
    assert png_size(rgb_png(800, 600), 800, 600) == (800, 600)
    grey16 = (
        PNG_SIGNATURE
        + header(3, 2, 16, 0, 1)
        + chunk(b"IDAT", zlib.compress(b"\0" * 20))
        + chunk(b"IEND", b"")
    )
    assert png_size(grey16, 10, 10) == (3, 2)


def _broken() -> dict[str, bytes]:
    good = rgb_png(16, 16)
    idat = chunk(b"IDAT", zlib.compress(b"\0" * 49 * 16))
    end = chunk(b"IEND", b"")
    return {
        "empty": b"",
        "html": b"<html><body>not an image</body></html>",
        "jpeg": b"\xff\xd8\xff\xe0" + b"\0" * 64,
        "signature only": PNG_SIGNATURE,
        "truncated": good[: len(good) // 2],
        "no IEND": good[: -len(end)],
        "bytes after IEND": good + b"junk",
        "flipped byte": good[:40] + bytes([good[40] ^ 0xFF]) + good[41:],
        "bad IHDR CRC": PNG_SIGNATURE + chunk(b"IHDR", header(16, 16)[8:-4], crc=0) + idat + end,
        "IDAT first": PNG_SIGNATURE + idat + header(16, 16) + end,
        "no IDAT": PNG_SIGNATURE + header(16, 16) + end,
        "two IHDR": PNG_SIGNATURE + header(16, 16) + header(16, 16) + idat + end,
        "too wide": PNG_SIGNATURE + header(801, 16) + idat + end,
        "too tall": PNG_SIGNATURE + header(16, 601) + idat + end,
        "huge canvas": PNG_SIGNATURE + header(2**31 - 1, 2**31 - 1) + idat + end,
        "zero width": PNG_SIGNATURE + header(0, 16) + idat + end,
        "bad depth": PNG_SIGNATURE + header(16, 16, depth=3) + idat + end,
        "palette of 16 bits": PNG_SIGNATURE + header(16, 16, depth=16, colour=3) + idat + end,
        "unknown colour type": PNG_SIGNATURE + header(16, 16, colour=5) + idat + end,
        "bad interlace": PNG_SIGNATURE + header(16, 16, interlace=2) + idat + end,
        "chunk longer than file": PNG_SIGNATURE + header(16, 16) + struct.pack(">I", 2**31) + b"IDAT",
    }


@pytest.mark.parametrize("name", sorted(_broken()))
def test_corrupt_or_oversized_bytes_are_no_image(name: str) -> None:
    with pytest.raises(CaptureFailed) as failed:
        png_size(_broken()[name], 800, 600)
    assert failed.value.code == "no_image"


def test_the_blank_check_runs_with_pillow_and_is_skipped_without(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shooter = make_shooter("/usr/bin/chromium", tmp_path)
    traffic = ProxyLog(requests=["http://127.0.0.1/"])
    drawn = shooter._checked(rgb_png(64, 48, dot=True), traffic)
    assert (drawn.width, drawn.height) == (64, 48)
    flat = rgb_png(64, 48)
    with pytest.raises(CaptureFailed) as failed:
        shooter._checked(flat, traffic)
    assert failed.value.code == "blank"
    with pytest.raises(CaptureFailed) as failed:
        shooter._checked(rgb_png(64, 48, dot=True), ProxyLog())
    assert failed.value.code == "blank"  # nothing went through the proxy

    monkeypatch.setitem(sys.modules, "PIL", None)
    shot = shooter._checked(flat, traffic)
    assert (shot.png, shot.width, shot.height) == (flat, 64, 48)
    with pytest.raises(CaptureFailed) as failed:
        shooter._checked(flat[:-5], traffic)
    assert failed.value.code == "no_image"


def test_the_size_cap_comes_before_any_reading(tmp_path: Path) -> None:
    shooter = make_shooter("/usr/bin/chromium", tmp_path)
    with pytest.raises(CaptureFailed) as failed:
        shooter._checked(b"x" * 5_000_001, ProxyLog(requests=["http://127.0.0.1/"]))
    assert failed.value.code == "image_too_large"
