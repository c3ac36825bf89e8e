"""Reading response bodies: streamed, decompressed incrementally, cut at the byte cap."""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterable

from monitor.errors import FetchError, ResponseTooLarge

# What we ask servers for; both are decoded below under the same cap.
ACCEPT_ENCODING = "gzip, deflate"


class _Decoder:
    """One content coding; `feed` never returns more than `room + 1` bytes, whatever the input."""

    def __init__(self, coding: str) -> None:
        self._coding = coding
        # 47 = 32 + 15: zlib picks gzip or zlib framing from the header; deflate may also be raw.
        self._wbits = 47 if coding in ("gzip", "x-gzip") else 15
        self._obj = zlib.decompressobj(self._wbits)
        self._started = False

    def feed(self, data: bytes, room: int) -> bytes:
        out = bytearray()
        pending = data
        while pending and len(out) <= room:
            try:
                # max_length bounds the output of this call: a bomb is never inflated whole.
                out += self._obj.decompress(pending, room - len(out) + 1)
            except zlib.error:
                if self._coding == "deflate" and not self._started:
                    # Some servers send raw deflate without the zlib header.
                    self._wbits = -15
                    self._obj = zlib.decompressobj(self._wbits)
                    self._started = True
                    continue
                raise
            self._started = True
            pending = self._obj.unconsumed_tail
            if self._obj.eof:
                pending = self._obj.unused_data
                if not pending or self._wbits != 47:
                    break
                # Concatenated gzip members are one body (RFC 1952).
                self._obj = zlib.decompressobj(self._wbits)
        return bytes(out)


def _decoder(content_encoding: str, url: str) -> _Decoder | None:
    codings = [c.strip().lower() for c in content_encoding.split(",")]
    codings = [c for c in codings if c and c != "identity"]
    if not codings:
        return None
    if len(codings) > 1 or codings[0] not in ("gzip", "x-gzip", "deflate"):
        raise FetchError(url, f"unsupported Content-Encoding {content_encoding[:40]!r}")
    return _Decoder(codings[0])


async def read_body(
    chunks: AsyncIterable[bytes],
    *,
    content_encoding: str,
    limit: int,
    url: str,
    truncate: bool = False,
) -> bytes:
    """The decoded body, at most `limit` bytes.

    Past the limit (counted on the wire and after decoding) reading stops: ResponseTooLarge is
    raised, or with `truncate` the first `limit` bytes are returned (robots.txt wants that).
    Memory stays within about `limit` plus one network chunk.
    """
    decoder = _decoder(content_encoding, url)
    body = bytearray()
    wire = 0
    async for chunk in chunks:
        wire += len(chunk)
        if decoder is None:
            body += chunk[: limit + 1 - len(body)]
        else:
            try:
                body += decoder.feed(chunk, limit - len(body))
            except zlib.error as exc:
                raise FetchError(url, "corrupt compressed body") from exc
        if len(body) > limit or wire > limit:
            if truncate:
                return bytes(body[:limit])
            raise ResponseTooLarge(url, f"body larger than {limit} bytes")
    return bytes(body)
