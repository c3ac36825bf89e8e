"""The logo signal: perceptual hashes of profile images against the brand's logo files."""

from __future__ import annotations

import asyncio
import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from monitor.enrich.enricher import Enrichment
from monitor.enrich.logo import MAX_DISTANCE, MAX_IMAGE_BYTES, LogoBook, distance, image_hash
from monitor.enrich.page import PageInfo
from monitor.errors import ConfigError
from monitor.net.client import HttpClient
from monitor.scan import Scanner
from monitor.settings import HttpSettings, load_settings
from monitor.store.db import open_database
from tests.support.loopback import serve

REPO = Path(__file__).resolve().parents[2]


def emblem(size: int = 256, *, variant: int = 0, mode: str = "RGB") -> Image.Image:
    """A seal-like emblem drawn at 256 px and scaled; `variant` draws a different emblem."""
    image = Image.new(mode, (256, 256), (255, 255, 255, 0) if mode == "RGBA" else (255, 255, 255))
    draw = ImageDraw.Draw(image)
    if variant == 0:
        draw.ellipse((20, 20, 236, 236), fill=(0, 70, 160, 255))
        draw.ellipse((60, 60, 196, 196), fill=(255, 255, 255, 255))
        draw.polygon(
            [(128, 70), (145, 120), (200, 120), (155, 150), (170, 200), (128, 170)], fill=(220, 30, 30, 255)
        )
        draw.rectangle((30, 120, 90, 140), fill=(255, 200, 0, 255))
    else:
        for step in range(0, 256, 32):
            draw.rectangle((step, 0, step + 16, 256), fill=(200, 30, 30, 255))
        draw.ellipse((150, 150, 250, 250), fill=(0, 0, 0, 255))
    return image if size == 256 else image.resize((size, size), Image.Resampling.LANCZOS)


def encoded(image: Image.Image, fmt: str = "PNG", **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


@pytest.fixture
def book(tmp_path: Path) -> LogoBook:
    (tmp_path / "logo.png").write_bytes(encoded(emblem(mode="RGBA")))
    return LogoBook.load([Path("logo.png")], tmp_path)


def test_a_resized_jpeg_copy_of_the_logo_matches(book: LogoBook) -> None:
    copy = encoded(emblem(120), "JPEG", quality=60)
    match = book.match(copy)
    assert match is not None
    assert match.logo == "logo.png"
    assert match.signal.startswith("logo:logo.png:")


def test_a_different_image_does_not_match(book: LogoBook) -> None:
    assert book.match(encoded(emblem(variant=1))) is None


def test_the_hash_is_the_usual_dct_phash() -> None:
    # The value imagehash.phash (numpy/scipy DCT) gives for this emblem: the Pillow-only hash is the same.
    assert image_hash(encoded(emblem())) == 0xEE99B164C69B9E20


@pytest.mark.parametrize(
    ("copy", "most"),
    [
        (encoded(emblem(120), "JPEG", quality=60), 2),
        (encoded(emblem(64), "PNG"), 2),
        (encoded(emblem().crop((8, 8, 248, 248))), 4),  # about 3 % trimmed from each side
    ],
)
def test_copies_stay_close_and_other_emblems_stay_far(copy: bytes, most: int) -> None:
    original = image_hash(encoded(emblem(mode="RGBA")))
    found, other = image_hash(copy), image_hash(encoded(emblem(variant=1)))
    assert original is not None
    assert found is not None
    assert other is not None
    assert distance(original, found) <= most
    assert distance(original, other) > 3 * MAX_DISTANCE


def test_distance_counts_differing_bits() -> None:
    assert distance(0, 0) == 0
    assert distance(0b1011, 0b0001) == 2
    assert distance(0, (1 << 64) - 1) == 64


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not an image at all",
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 40,  # a PNG signature and nothing readable
        b"GIF89a" + b"\xff" * 100,
    ],
)
def test_what_is_not_an_image_is_no_image(body: bytes) -> None:
    assert image_hash(body) is None


def _png_header(width: int, height: int) -> bytes:
    """A tiny PNG whose header announces a huge canvas (a decompression bomb's trick)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    idat = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", len(ihdr))
        + chunk
        + struct.pack(">I", zlib.crc32(chunk))
        + struct.pack(">I", len(idat))
        + b"IDAT"
        + idat
        + struct.pack(">I", zlib.crc32(b"IDAT" + idat))
    )


def test_a_huge_canvas_is_refused_before_decoding() -> None:
    assert image_hash(_png_header(60_000, 60_000)) is None


def test_an_oversized_body_is_refused() -> None:
    assert image_hash(b"\x89PNG" + b"\x00" * MAX_IMAGE_BYTES) is None


def test_unreadable_logo_files_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as missing:
        LogoBook.load([Path("nope.png")], tmp_path, where="config/brands.toml")
    assert "logo_files" in str(missing.value)
    assert "config/brands.toml" in str(missing.value)
    (tmp_path / "text.png").write_text("hello")
    with pytest.raises(ConfigError, match="not an image"):
        LogoBook.load([Path("text.png")], tmp_path)


def test_scanner_fetches_the_profile_image_and_records_the_signal(tmp_path: Path) -> None:
    logo = encoded(emblem())
    (tmp_path / "logo.png").write_bytes(logo)
    config = tmp_path / "monitor.toml"
    config.write_text((REPO / "config" / "monitor.toml").read_text("utf-8"), encoding="utf-8")
    brands = (
        (REPO / "config" / "brands.toml")
        .read_text("utf-8")
        .replace("logo_files = []", 'logo_files = ["logo.png"]')
    )
    (tmp_path / "brands.toml").write_text(brands, encoding="utf-8")
    settings = load_settings(config, environ={})
    settings = settings.model_copy(
        update={"http": HttpSettings(allow_private_networks=True, per_host_min_interval=0, max_retries=1)}
    )
    images = {
        "/copy.jpg": encoded(emblem(96), "JPEG", quality=70),
        "/other.png": encoded(emblem(variant=1)),
    }

    async def image(request: object) -> Response:
        path = request.url.path  # type: ignore[attr-defined]
        if path not in images:
            return PlainTextResponse("missing", status_code=404)
        return Response(images[path], media_type="image/jpeg")

    app = Starlette(routes=[Route("/{name:path}", image)])
    engine = open_database(f"sqlite:///{tmp_path / 'db.sqlite'}")
    scanner = Scanner(settings, engine)

    def page(image_url: str) -> Enrichment:
        info = PageInfo(platform="telegram", url="https://t.me/x", kind="channel", image_url=image_url)
        return Enrichment(url="https://t.me/x", platform="telegram", outcome="content", page=info)

    async def check(base: str) -> list[Enrichment]:
        async with HttpClient.from_settings(settings.http) as client:
            book = scanner._logos(settings.brands[0].slug)
            return [
                await scanner._check_logo(client, book, page(base + path))
                for path in ("/copy.jpg", "/other.png", "/missing.png")
            ]

    try:
        with serve(app) as base:
            same, other, missing = asyncio.run(check(base))
    finally:
        engine.dispose()
    assert same.logo is not None
    assert any(signal.startswith("logo:logo.png:") for signal in same.signals)
    assert len(same.responses) == 1  # the image is kept as evidence
    assert other.logo is None
    assert other.responses == ()
    assert missing.logo is None
