"""enrich_each(): many pages read with a fixed number in memory, released once archived, stoppable."""

from __future__ import annotations

import asyncio
import io
import threading
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator
from contextlib import aclosing, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image

from monitor.enrich.enricher import Archived, Enrichment, PageJob, ReadOptions, enrich_each, read_page
from monitor.enrich.logo import LogoBook, image_hash
from monitor.net.client import HttpClient
from tests.enrich.site import settings

WIDTH = 2
PAGES = 24


def page(number: int) -> bytes:
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><title>Trang hỗ trợ {number}</title>'
        '<meta property="og:image" content="/logo.png"></head>'
        f"<body><p>Zalo 0901 234 {number:03d}</p>{'x' * 20_000}</body></html>"
    ).encode()


def logo_png() -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", (64, 64), (255, 255, 255))
    for x in range(16, 48):
        for y in range(8, 56):
            image.putpixel((x, y), (200, 20, 20))
    image.save(out, format="PNG")
    return out.getvalue()


class Web:
    """A loopback site that counts page requests; `on_page` runs in the server thread before answering."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pages = 0
        self.on_page: Callable[[int], None] = lambda _count: None
        self.logo = logo_png()

    def answer(self, path: str) -> tuple[int, bytes, str]:
        if path == "/robots.txt":
            return 200, b"User-agent: *\nAllow: /\n", "text/plain"
        if path == "/logo.png":
            return 200, self.logo, "image/png"
        with self.lock:
            self.pages += 1
            count = self.pages
        self.on_page(count)
        return 200, page(int(path.rsplit("/", 1)[-1])), "text/html; charset=utf-8"


@contextmanager
def serve(web: Web) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            return

        def do_GET(self) -> None:
            status, body, kind = web.answer(self.path)
            try:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def jobs(base: str, count: int = PAGES) -> list[PageJob[int]]:
    return [PageJob(n, f"{base}/p/{n}", "web", name=f"Trang {n}") for n in range(count)]


def client() -> HttpClient:
    return HttpClient(settings(max_concurrency=8, per_host_concurrency=8))


def test_pages_are_read_no_further_ahead_of_the_consumer_than_the_bound() -> None:
    web = Web()
    taken = 0
    overrun: list[tuple[int, int]] = []
    beyond = threading.Event()

    def on_page(count: int) -> None:
        # Started pages: the consumer's, a full queue and one per reader, never more.
        if count > taken + 2 * WIDTH:
            overrun.append((count, taken))
            beyond.set()

    web.on_page = on_page

    async def go(base: str) -> list[Enrichment]:
        nonlocal taken
        kept: list[Enrichment] = []
        async with client() as http:
            readings = enrich_each(http, jobs(base), ReadOptions(), concurrency=WIDTH)
            async with aclosing(readings):
                async for job, result in readings:
                    taken += 1
                    assert result.url == job.url
                    if taken == 1:
                        # A slow consumer. Readers that ran past the bound end the wait at once;
                        # bounded ones never do, and the wait only limits how long they are given.
                        await asyncio.to_thread(beyond.wait, 1.0)
                    kept.append(result.release([Archived(f"{job.key:064x}", job.key)]))
        return kept

    with serve(web) as base:
        kept = asyncio.run(go(base))
    assert overrun == []
    assert sorted(r.url for r in kept) == sorted(j.url for j in jobs(base))
    assert all(r.outcome == "content" and r.responses == () and len(r.archived) == 1 for r in kept)
    assert {r.page.title for r in kept if r.page} == {f"Trang hỗ trợ {n}" for n in range(PAGES)}


def test_release_keeps_the_reading_and_drops_only_the_bodies() -> None:
    web = Web()

    async def go(base: str) -> Enrichment:
        async with client() as http:
            return await read_page(http, jobs(base, 1)[0], ReadOptions())

    with serve(web) as base:
        result = asyncio.run(go(base))
    released = result.release([Archived("ab" * 32, 7)])
    assert result.responses
    assert result.responses[0].body
    assert released.responses == ()
    assert released.archived == (Archived("ab" * 32, 7),)
    assert (released.outcome, released.page, released.contacts, released.signals) == (
        result.outcome,
        result.page,
        result.contacts,
        result.signals,
    )


def test_a_stop_starts_no_new_page_and_ends_the_stream() -> None:
    web = Web()
    stop = threading.Event()

    async def go(base: str) -> int:
        count = 0
        async with client() as http:
            readings = enrich_each(http, jobs(base), ReadOptions(), concurrency=WIDTH, stop=stop)
            async with aclosing(readings):
                async for _job, _result in readings:
                    count += 1
                    stop.set()
        return count

    with serve(web) as base:
        count = asyncio.run(go(base))
    assert count < PAGES
    assert web.pages <= 1 + 2 * WIDTH


def test_leaving_early_cancels_the_readers_of_hanging_pages() -> None:
    web = Web()
    release = threading.Event()
    first = threading.Event()

    def on_page(count: int) -> None:
        if count > 1:
            first.wait(30)
            release.wait(30)  # every page after the first hangs until the test ends

    web.on_page = on_page

    async def go(base: str) -> set[asyncio.Task[object]]:
        outer = asyncio.current_task()
        return await asyncio.wait_for(leave(base, outer), 20)

    async def leave(base: str, outer: object) -> set[asyncio.Task[object]]:
        async with client() as http:
            readings = enrich_each(http, jobs(base), ReadOptions(), concurrency=WIDTH)
            async with aclosing(readings):
                async for _job, _result in readings:
                    first.set()
                    break
            return asyncio.all_tasks() - {asyncio.current_task(), outer}

    with serve(web) as base:
        try:
            left = asyncio.run(go(base))
        finally:
            release.set()
    assert left == set()


def test_a_brand_logo_on_the_page_is_recognised() -> None:
    web = Web()
    book = LogoBook([("logo.png", image_hash(web.logo) or 0)])

    async def go(base: str) -> Enrichment:
        async with client() as http:
            return await read_page(http, jobs(base, 1)[0], ReadOptions(logos=book))

    with serve(web) as base:
        result = asyncio.run(go(base))
    assert result.logo is not None
    assert result.logo.logo == "logo.png"
    assert len(result.responses) == 2  # the page and the image, both evidence


@pytest.mark.parametrize("as_async", [False, True])
def test_jobs_may_arrive_while_pages_are_read(as_async: bool) -> None:
    web = Web()

    async def go(base: str) -> list[int]:
        async def arriving() -> AsyncIterator[PageJob[int]]:
            for job in jobs(base, 6):
                await asyncio.sleep(0)
                yield job

        source: AsyncIterable[PageJob[int]] | Iterable[PageJob[int]] = (
            arriving() if as_async else iter(jobs(base, 6))
        )
        async with client() as http:
            readings = enrich_each(http, source, ReadOptions(), concurrency=WIDTH)
            async with aclosing(readings):
                return sorted([job.key async for job, _ in readings])

    with serve(web) as base:
        assert asyncio.run(go(base)) == list(range(6))
