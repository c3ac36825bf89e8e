"""Body reading: caps on the wire and after decompression, gzip/deflate variants, bad codings."""

from __future__ import annotations

import asyncio
import gzip
import zlib
from collections.abc import AsyncIterator, Callable

import pytest

from monitor.errors import FetchError, ResponseTooLarge
from monitor.net.body import read_body

CAP = 64 * 1024


async def _chunks(data: bytes, size: int = 4096) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def _read(data: bytes, encoding: str = "", limit: int = CAP, truncate: bool = False) -> bytes:
    return asyncio.run(
        read_body(_chunks(data), content_encoding=encoding, limit=limit, url="http://x/", truncate=truncate)
    )


def _raw_deflate(data: bytes) -> bytes:
    obj = zlib.compressobj(wbits=-15)
    return obj.compress(data) + obj.flush()


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("", lambda b: b),
        ("identity", lambda b: b),
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("GZIP", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", _raw_deflate),
    ],
)
def test_decodes_what_we_ask_for(encoding: str, encode: Callable[[bytes], bytes]) -> None:
    body = "Bảo hiểm xã hội tỉnh Bình Dương ".encode() * 500
    assert _read(encode(body), encoding) == body


def test_concatenated_gzip_members_are_one_body() -> None:
    assert _read(gzip.compress(b"first ") + gzip.compress(b"second"), "gzip") == b"first second"


def test_plain_body_over_the_cap_is_refused_or_truncated() -> None:
    data = b"x" * (CAP + 1)
    with pytest.raises(ResponseTooLarge):
        _read(data)
    assert _read(b"x" * CAP) == b"x" * CAP
    assert _read(data, truncate=True) == b"x" * CAP


def test_small_gzip_that_inflates_past_the_cap_is_refused() -> None:
    bomb = gzip.compress(b"\0" * (CAP * 50))
    assert len(bomb) < CAP
    with pytest.raises(ResponseTooLarge):
        _read(bomb, "gzip")
    assert _read(bomb, "gzip", truncate=True) == b"\0" * CAP


@pytest.mark.parametrize(
    ("data", "encoding"), [(b"not gzip at all", "gzip"), (b"\x78\x9c garbage", "deflate")]
)
def test_corrupt_compressed_body(data: bytes, encoding: str) -> None:
    with pytest.raises(FetchError, match="corrupt"):
        _read(data, encoding)


@pytest.mark.parametrize("encoding", ["br", "zstd", "compress", "gzip, gzip"])
def test_codings_we_did_not_ask_for_are_refused(encoding: str) -> None:
    with pytest.raises(FetchError, match="unsupported Content-Encoding"):
        _read(b"anything", encoding)
