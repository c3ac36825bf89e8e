"""One screenshot of one page: the filtering proxy, Chromium in a throw-away folder, a checked PNG."""

from __future__ import annotations

import importlib.util
import io
import os
import struct
import tempfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from monitor.capture.chromium import BrowserRun, CaptureFailed, shoot
from monitor.capture.policy import AddressPolicy, Endpoint, Refused
from monitor.capture.proxy import FilteringProxy, ProxyLog
from monitor.errors import UnsafeURLError
from monitor.net.client import user_agent
from monitor.net.urls import check_scheme, loggable
from monitor.settings import Settings


@dataclass(frozen=True)
class Shot:
    """A verified PNG and what the proxy saw while it was taken."""

    png: bytes
    width: int
    height: int
    traffic: ProxyLog


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_requests: int
    max_image_bytes: int


class Shooter:
    """Takes screenshots with one browser run per page, through a fresh filtering proxy each time."""

    def __init__(
        self, run: BrowserRun, policy: AddressPolicy, limits: Limits, *, workroot: Path | None = None
    ) -> None:
        """`workroot`: where the throw-away folders are made (default: the system's temp folder)."""
        self.run = run
        self.policy = policy
        self.limits = limits
        self.workroot = workroot

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        executable: str,
        *,
        environ: Mapping[str, str] | None = None,
        allowed_endpoints: frozenset[Endpoint] = frozenset(),
    ) -> Shooter:
        shots = settings.screenshots
        run = BrowserRun(
            executable=executable,
            width=shots.window_width,
            height=shots.window_height,
            timeout=shots.timeout,
            user_agent=user_agent(settings.http),
        )
        policy = AddressPolicy.from_settings(
            settings.http,
            environ=os.environ if environ is None else environ,
            allowed_endpoints=allowed_endpoints,
        )
        limits = Limits(shots.max_bytes, shots.max_requests, shots.max_image_bytes)
        return cls(run, policy, limits)

    async def capture(self, url: str) -> Shot:
        """Screenshot url. UnsafeURLError when the page itself may not be reached; CaptureFailed else."""
        target = _page_url(url)
        try:
            await self.policy.addresses(target.host, target.port or (443 if target.scheme == "https" else 80))
        except Refused as exc:
            raise UnsafeURLError(loggable(target), exc.reason) from exc
        limits = self.limits
        async with FilteringProxy(
            self.policy, max_bytes=limits.max_bytes, max_requests=limits.max_requests, page=target
        ) as proxy:
            with tempfile.TemporaryDirectory(prefix="monitor-shot-", dir=self.workroot) as folder:
                png = await shoot(self.run, str(target), proxy_port=proxy.port, workdir=Path(folder))
        if proxy.log.navigation_refused is not None:
            raise UnsafeURLError(
                loggable(target), f"redirected to a refused address ({proxy.log.navigation_refused})"
            )
        return self._checked(png, proxy.log)

    def _checked(self, png: bytes, traffic: ProxyLog) -> Shot:
        if len(png) > self.limits.max_image_bytes:
            raise CaptureFailed("image_too_large", f"{len(png)} bytes")
        width, height = png_size(png, self.run.width, self.run.height)
        if not traffic.requests or _flat(png):
            # One flat colour: nothing arrived to render; not evidence of anything.
            raise CaptureFailed("blank", f"{width}x{height}")
        return Shot(png, width, height, traffic)


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Bit depths the PNG specification allows for each colour type.
_DEPTHS = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}


def png_size(png: bytes, max_width: int, max_height: int) -> tuple[int, int]:
    """Width and height of a well-formed PNG no larger than max_width × max_height.

    Checked without decoding a pixel: the signature, an IHDR first with sane fields, then every
    chunk inside the file with a matching CRC, at least one IDAT and an IEND last.
    CaptureFailed("no_image") otherwise.
    """
    if not png.startswith(PNG_SIGNATURE):
        raise CaptureFailed("no_image", "not a PNG")
    offset, first, seen_data = len(PNG_SIGNATURE), True, False
    width = height = 0
    while True:
        if offset + 12 > len(png):
            raise CaptureFailed("no_image", "truncated PNG")
        length, kind = struct.unpack(">I4s", png[offset : offset + 8])
        end = offset + 12 + length
        if end > len(png):
            raise CaptureFailed("no_image", "truncated PNG")
        data = png[offset + 8 : end - 4]
        (crc,) = struct.unpack(">I", png[end - 4 : end])
        if zlib.crc32(kind + data) != crc:
            raise CaptureFailed("no_image", f"bad CRC in {kind!r}")
        if first:
            width, height = _header(kind, data, max_width, max_height)
            first = False
        elif kind == b"IHDR":
            raise CaptureFailed("no_image", "second IHDR")
        seen_data = seen_data or kind == b"IDAT"
        offset = end
        if kind == b"IEND":
            break
    if not seen_data:
        raise CaptureFailed("no_image", "no image data")
    if offset != len(png):
        raise CaptureFailed("no_image", "bytes after IEND")
    return width, height


def _header(kind: bytes, data: bytes, max_width: int, max_height: int) -> tuple[int, int]:
    if kind != b"IHDR" or len(data) != 13:
        raise CaptureFailed("no_image", "no IHDR")
    width, height, depth, colour, compression, filtering, interlace = struct.unpack(">IIBBBBB", data)
    if not (0 < width <= max_width and 0 < height <= max_height):
        raise CaptureFailed("no_image", f"{width}x{height} outside {max_width}x{max_height}")
    if depth not in _DEPTHS.get(colour, ()) or compression or filtering or interlace > 1:
        raise CaptureFailed("no_image", f"bad IHDR (depth {depth}, colour type {colour})")
    return width, height


def _flat(png: bytes) -> bool:
    """True when the picture is one flat colour; False when Pillow (the `images` extra) is absent."""
    if importlib.util.find_spec("PIL") is None:
        return False
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(png)) as image:
            image.verify()
        with Image.open(io.BytesIO(png)) as image:
            extrema = image.convert("L").getextrema()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise CaptureFailed("no_image", type(exc).__name__) from exc
    return bool(extrema[0] == extrema[1])


def _page_url(url: str) -> httpx.URL:
    try:
        target = httpx.URL(url)
    except (httpx.InvalidURL, ValueError, TypeError, UnicodeError) as exc:
        raise UnsafeURLError(url[:200], "not a valid URL") from exc
    check_scheme(target)
    return target.copy_with(fragment=None)
