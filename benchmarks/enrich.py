"""Enrichment benchmark: 1,000 distinct loopback pages enriched and archived twice, unchanged.

Run from the repository root:  .venv/bin/python -m benchmarks.enrich [--pages 1000 --keep-bodies ...]

A subprocess serves Telegram channels (the t.me card and its t.me/s/ preview), TikTok profiles,
YouTube channels and websites with og tags, each platform on its own loopback address
(127.0.0.2, ...; websites spread over several) and all on one port. The settings point the
Telegram, TikTok and YouTube base URLs there, as the demo does. Each pass does what a scan does
for its candidates: page_url(), then enrich_each() with ENRICH_CONCURRENCY pages in flight
through one fresh HttpClient (robots.txt, SSRF guard, host limits); each reading is archived as
soon as it arrives (EvidenceArchive.store() of every answer, one transaction per page, into a
temporary evidence folder and SQLite database) and then released, so a bounded number of pages
is in memory whatever their count. Peak RSS target: 250 MB for 1,000 pages; `--keep-bodies`
holds every reading until the pass ends, as scans did before, for comparison.

Pages are about as heavy as captured real ones (`--size-scale 0` serves bare markup). The
second pass reads the same bytes, so it must add no evidence bytes, files or index rows (target
0). Every page must be read as content with its name and contact numbers, both times;
otherwise, or when unchanged pages add evidence, the benchmark exits with status 1.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import json
import multiprocessing
import random
import resource
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.connection import Connection
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit

from sqlalchemy import Engine, func, select, text

from monitor.enrich.enricher import READ_CONCURRENCY as ENRICH_CONCURRENCY
from monitor.enrich.enricher import Enrichment, PageJob, ReadOptions, enrich_each
from monitor.evidence import EvidenceArchive
from monitor.log import configure
from monitor.net.client import HttpClient
from monitor.scoring import page_url
from monitor.settings import Settings, load_settings
from monitor.store.db import open_database, session_factory, session_scope
from monitor.store.schema import Capture, EvidenceBlob

REPO = Path(__file__).resolve().parents[1]
KINDS = ("telegram", "tiktok", "youtube", "web")
HOSTS = {"telegram": "127.0.0.2", "tiktok": "127.0.0.3", "youtube": "127.0.0.4"}
WEB_HOST_FIRST = 5  # websites on 127.0.0.5, 127.0.0.6, ...
# Typical sizes (KiB) of captured public pages: a t.me card, a t.me/s/ preview, a TikTok profile,
# a YouTube channel; websites vary, 60 KiB is a common landing page.
REAL_KIB = {"telegram": 10, "preview": 140, "tiktok": 540, "youtube": 900, "web": 60}
ROBOTS = b"User-agent: *\nAllow: /\n"
NOT_FOUND = b"<html><body><h1>404 Not Found</h1></body></html>"
PEAK_TARGET_MB = 250


# --- the pages -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """One account's page: where it lives and what enrichment must read from it."""

    index: int
    kind: str
    host: str
    path: str
    name: str
    phones: tuple[str, ...]

    @property
    def handle(self) -> str:
        return self.path.rsplit("/", 1)[-1].lstrip("@")

    @property
    def identity(self) -> str:
        key = self.handle if self.kind == "telegram" else f"@{self.handle}"
        return f"{self.kind}:{self.host}" if self.kind == "web" else f"{self.kind}:{key}"


def catalog(count: int, web_hosts: int) -> list[Page]:
    """`count` distinct pages, the four kinds in turn; each has its own name and phone numbers."""
    pages = []
    for index in range(count):
        kind = KINDS[index % len(KINDS)]
        phone = f"09{12_000_000 + index:08d}"
        name = f"BHXH Bình Dương Hỗ Trợ {index:04d}"
        if kind == "telegram":
            # The card gives one number, the newest post of the preview another.
            second = f"09{13_000_000 + index:08d}"
            page = Page(index, kind, HOSTS[kind], f"/bhxh_hotro_{index:04d}", name, (phone, second))
        elif kind == "tiktok":
            page = Page(index, kind, HOSTS[kind], f"/@bhxh.hotro.{index:04d}", name, (phone,))
        elif kind == "youtube":
            page = Page(index, kind, HOSTS[kind], f"/@bhxhhotro{index:04d}", name, (phone,))
        else:
            host = f"127.0.0.{WEB_HOST_FIRST + (index // len(KINDS)) % web_hosts}"
            page = Page(index, kind, host, f"/dich-vu/{index:04d}", name, (phone,))
        pages.append(page)
    return pages


def _spaced(phone: str) -> str:
    """0912000123 -> "0912 000 123", as pages write numbers."""
    return f"{phone[:4]} {phone[4:7]} {phone[7:]}"


class Filler:
    """Script-like text of a given size that differs from page to page and stays the same across passes."""

    def __init__(self) -> None:
        words = ["function", "var", "return", "this", "props", "state", "render", "window"]
        words += ["document", "module", "exports", "undefined", "null", "true", "false", "const"]
        rng = random.Random(7)
        self.block = " ".join(rng.choice(words) + str(rng.randrange(1000)) for _ in range(12_000))

    def text(self, index: int, kib: float) -> str:
        size = int(kib * 1024)
        if size <= 0:
            return ""
        start = (index * 7919) % len(self.block)
        rotated = self.block[start:] + self.block[:start]
        return (rotated * (size // len(rotated) + 1))[:size]


def telegram_card(page: Page, filler: str) -> str:
    n, h, phone = html.escape(page.name), page.handle, _spaced(page.phones[0])
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>Telegram: View @{h}</title>'
        f'<meta property="og:title" content="{n}">'
        '<meta property="og:image" content="https://cdn4.telesco.pe/file/abc.jpg">'
        '<meta property="og:description" content="Hỗ trợ rút BHXH 1 lần">'
        f'<meta property="al:android:url" content="tg://resolve?domain={h}">'
        '<link rel="icon" type="image/svg+xml" href="//telegram.org/img/website_icon.svg?4">'
        f"<script>{filler}</script>"
        '</head><body><div class="tgme_page_wrap"><div class="tgme_page">'
        f'<div class="tgme_page_title" dir="auto"><span dir="auto">{n}</span></div>'
        f'<div class="tgme_page_extra">{1000 + page.index} subscribers</div>'
        f'<div class="tgme_page_description" dir="auto">Hỗ trợ rút BHXH 1 lần nhanh<br/>Zalo: {phone}</div>'
        '<div class="tgme_page_action"><a class="tgme_action_button_new shine"'
        f' href="tg://resolve?domain={h}">View in Telegram</a></div>'
        '<div class="tgme_page_context_link_wrap"><a class="tgme_page_context_link"'
        f' href="/s/{h}">Preview channel</a></div>'
        "</div></div></body></html>"
    )


def telegram_preview(page: Page, kib: float) -> str:
    n, h, phone = html.escape(page.name), page.handle, _spaced(page.phones[1])

    def message(number: int, body: str) -> str:
        return (
            '<div class="tgme_widget_message_wrap">'
            f'<div class="tgme_widget_message js-widget_message" data-post="{h}/{number}">'
            f'<div class="tgme_widget_message_text js-message_text" dir="auto">{body}</div>'
            f'<a class="tgme_widget_message_date" href="https://t.me/{h}/{number}">'
            f'<time datetime="2026-01-{1 + number % 28:02d}T03:04:05+00:00">03:04</time></a></div></div>'
        )

    head = (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{n} – Telegram</title>'
        f'<meta property="og:title" content="{n}"><link rel="canonical" href="/s/{h}?before=20">'
        '</head><body><div class="tgme_channel_info"><div class="tgme_channel_info_header">'
        f'<div class="tgme_channel_info_header_title"><span dir="auto">{n}</span></div>'
        f'<div class="tgme_channel_info_header_username"><a href="https://t.me/{h}">@{h}</a></div></div>'
        '<div class="tgme_channel_info_counters"><div class="tgme_channel_info_counter">'
        f'<span class="counter_value">{1000 + page.index}</span>'
        ' <span class="counter_type">subscribers</span>'
        '</div></div><div class="tgme_channel_info_description">Hỗ trợ rút BHXH 1 lần nhanh</div></div>'
    )
    newest = message(10_000, f"Rút BHXH 1 lần chỉ 3 ngày.<br/>Zalo {phone}")
    # Older posts, oldest first as on t.me/s/, until the page has its usual weight.
    older: list[str] = []
    size = len(head) + len(newest)
    number = 1
    while size < kib * 1024:
        post = message(number, f"Thông báo số {number} của kênh {n}: hỗ trợ hồ sơ BHXH, nhận tại nhà.")
        older.append(post)
        size += len(post)
        number += 1
    return head + "".join(older) + newest + "</body></html>"


def tiktok_profile(page: Page, filler: str) -> str:
    n, h = html.escape(page.name), page.handle
    data = {
        "__DEFAULT_SCOPE__": {
            "webapp.user-detail": {
                "userInfo": {
                    "user": {
                        "id": f"{7_000_000_000_000_000_000 + page.index}",
                        "uniqueId": h,
                        "nickname": page.name,
                        "signature": f"Rút BHXH 1 lần ☎ {_spaced(page.phones[0])} (Zalo)",
                        "verified": False,
                        "privateAccount": False,
                    },
                    "stats": {"followerCount": 1000 + page.index, "videoCount": 3},
                },
                "statusCode": 0,
                "statusMsg": "",
            },
            "webapp.i18n-translation": {"err_user": "Couldn't find this account"},
        }
    }
    blob = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{n} (@{h}) | TikTok</title>'
        f'<meta property="og:title" content="{n} (@{h}) | TikTok">'
        f'<meta property="og:description" content="{n} (@{h}) on TikTok | 5K Likes.">'
        f'<link rel="canonical" href="https://www.tiktok.com/@{h}"></head><body>'
        f'<script id="__UNIVERSAL_DATA_FOR_REHYDRATION__" type="application/json">{blob}</script>'
        f"<script>{filler}</script></body></html>"
    )


def youtube_channel(page: Page, filler: str) -> str:
    n, h = html.escape(page.name), page.handle
    channel_id = f"UC{page.index:022d}"
    data = {
        "metadata": {
            "channelMetadataRenderer": {
                "title": page.name,
                "description": f"Hỗ trợ rút BHXH 1 lần, hotline {_spaced(page.phones[0])}",
                "externalId": channel_id,
                "vanityChannelUrl": f"http://www.youtube.com/@{h}",
            }
        },
        "header": {
            "c4TabbedHeaderRenderer": {
                "title": page.name,
                "subscriberCountText": {"simpleText": f"{1000 + page.index} subscribers"},
            }
        },
    }
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{n} - YouTube</title>'
        f'<meta property="og:title" content="{n}">'
        f'<meta property="og:url" content="https://www.youtube.com/channel/{channel_id}">'
        '<meta property="og:description" content="Kênh hỗ trợ">'
        f'<meta itemprop="identifier" content="{channel_id}">'
        f'<link rel="canonical" href="https://www.youtube.com/channel/{channel_id}">'
        f"</head><body><script>{filler}</script><script>var ytInitialData = "
        + json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
        + ";</script></body></html>"
    )


def website(page: Page, filler: str) -> str:
    n = html.escape(page.name)
    domain = f"bhxh-hotro-{page.index:04d}.online"
    return (
        '<!doctype html><html lang="vi"><head><meta charset="utf-8">'
        f"<title>{n} – Dịch vụ</title>"
        '<meta name="description" content="Dịch vụ rút BHXH 1 lần trọn gói">'
        f'<meta property="og:title" content="{n}">'
        '<meta property="og:description" content="Rút BHXH 1 lần, nhận tiền trong 24h">'
        '<meta property="og:image" content="/img/logo.png">'
        f'<meta property="og:site_name" content="{domain}">'
        f'<link rel="canonical" href="https://{domain}/">'
        '<link rel="shortcut icon" href="/favicon.png">'
        f"<script>{filler}</script></head><body><nav>Trang chủ</nav><h1>Rút BHXH 1 lần</h1>"
        f"<p>Hotline/Zalo: {_spaced(page.phones[0])} – Email: hotro@{domain}</p></body></html>"
    )


# --- the loopback web (in its own process, so serving does not compete with the client) -----------


MAKERS: dict[str, Callable[[Page, str], str]] = {
    "telegram": telegram_card,
    "tiktok": tiktok_profile,
    "youtube": youtube_channel,
    "web": website,
}


def render(page: Page, part: str, filler: Filler, scale: float) -> bytes:
    """The bytes of `page` ("page", or "preview" for a Telegram channel's t.me/s/ page)."""
    if part == "preview":
        return telegram_preview(page, REAL_KIB["preview"] * scale).encode("utf-8")
    # The markup around the filler weighs about 1 KiB.
    text = filler.text(page.index, max(REAL_KIB[page.kind] * scale - 1, 0))
    return MAKERS[page.kind](page, text).encode("utf-8")


def routes(pages: list[Page]) -> dict[tuple[str, str], tuple[Page, str]]:
    """(host, path) -> (page, part)."""
    out: dict[tuple[str, str], tuple[Page, str]] = {}
    for page in pages:
        out[(page.host, page.path)] = (page, "page")
        if page.kind == "telegram":
            out[(page.host, f"/s{page.path}")] = (page, "preview")
    return out


def serve(count: int, web_hosts: int, scale: float, ready: Connection, hits: Synchronized[int]) -> None:
    """Serve the catalogue on every host until terminated; sends the port through `ready`."""
    # Pages are built on request (the same bytes every time), never held in memory.
    table = routes(catalog(count, web_hosts))
    filler = Filler()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as real sites allow
        disable_nagle_algorithm = True  # headers and body go out in separate writes

        def log_message(self, format: str, *args: object) -> None:
            return

        def do_GET(self) -> None:
            with hits.get_lock():
                hits.value += 1
            host = str(self.connection.getsockname()[0])
            path = urlsplit(self.path).path
            if path == "/robots.txt":
                return self._send(200, ROBOTS, "text/plain")
            found = table.get((host, path))
            if found is None:
                return self._send(404, NOT_FOUND, "text/html; charset=utf-8")
            page, part = found
            return self._send(200, render(page, part, filler, scale), "text/html; charset=utf-8")

        def _send(self, status: int, body: bytes, kind: str) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                return

    hosts = [*HOSTS.values(), *(f"127.0.0.{WEB_HOST_FIRST + n}" for n in range(web_hosts))]
    port = 0
    servers = []
    for host in hosts:
        server = ThreadingHTTPServer((host, port), Handler)
        server.daemon_threads = True
        port = server.server_address[1]
        servers.append(server)
    for server in servers[1:]:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    ready.send(port)
    servers[0].serve_forever()


# --- the passes ------------------------------------------------------------------------------------


@dataclass
class Pass:
    wall: float
    archive_wall: float
    requests: int
    responses: int
    ok: int
    failures: list[str]


@dataclass(frozen=True)
class Archive:
    """The evidence as it stands: files on disk and rows of the index."""

    bytes: int
    files: int
    blobs: int
    captures: int
    fetches: int
    database: int


def check(page: Page, url: str, result: Enrichment) -> str | None:
    """Why `result` is not a correct reading of `page`; None when it is."""
    if result.outcome != "content" or result.page is None:
        return f"{url}: {result.outcome} ({result.reason})"
    if result.page.title != page.name:
        return f"{url}: title {result.page.title!r}, expected {page.name!r}"
    found = set(result.contacts.phones) | set(result.contacts.zalo)
    missing = [phone for phone in page.phones if phone not in found]
    if missing:
        return f"{url}: contacts {sorted(found)} lack {missing}"
    expected = 2 if page.kind == "telegram" else 1  # the card, then its preview
    if len(result.responses) != expected or any(r.status != 200 for r in result.responses):
        statuses = [r.status for r in result.responses]
        return f"{url}: answers {statuses}, expected {expected} with status 200"
    return None


async def stream_pass(
    settings: Settings,
    engine: Engine,
    targets: list[tuple[Page, str]],
    keep_bodies: bool,
) -> tuple[list[str], int, float]:
    """Read every target as a scan does and archive each reading as soon as it is read.

    One client, ENRICH_CONCURRENCY pages in flight (enrich_each), one transaction per page in a
    worker thread; the reading is then released (bodies dropped) unless `keep_bodies`, which
    holds every reading until the pass ends as the scan did before pages were streamed.
    Returns the failures, the number of answers and the seconds spent archiving.
    """
    archive = EvidenceArchive(settings.evidence.dir)
    factory = session_factory(engine)
    options = ReadOptions(
        tiktok_oembed_url=settings.sources.tiktok.oembed_url,
        youtube_api_url=settings.sources.youtube.api_url,
    )
    jobs = [PageJob(page, url, page.kind, name=page.name) for page, url in targets]
    failures: list[str] = []
    held: list[Enrichment] = []
    answers = 0
    archiving = 0.0

    def store(result: Enrichment) -> float:
        started = time.perf_counter()
        with session_scope(factory) as session:
            stored = [archive.store(session, response) for response in result.responses]
        held.append(result if keep_bodies else result.release(stored))
        return time.perf_counter() - started

    async with HttpClient.from_settings(settings.http) as client:
        readings = enrich_each(client, jobs, options, concurrency=ENRICH_CONCURRENCY)
        async with aclosing(readings):
            async for job, result in readings:
                page, url = job.key, job.url
                if (reason := check(page, url, result)) is not None:
                    failures.append(reason)
                answers += len(result.responses)
                archiving += await asyncio.to_thread(store, result)
                del result
    if not keep_bodies and any(r.responses for r in held):
        failures.append("a released reading still holds its bodies")
    return failures, answers, archiving


def run_pass(
    settings: Settings,
    engine: Engine,
    targets: list[tuple[Page, str]],
    hits: Synchronized[int],
    keep_bodies: bool = False,
) -> Pass:
    before = hits.value
    started = time.perf_counter()
    failures, answers, archiving = asyncio.run(stream_pass(settings, engine, targets, keep_bodies))
    finished = time.perf_counter()
    return Pass(
        wall=finished - started,
        archive_wall=archiving,
        requests=hits.value - before,
        responses=answers,
        ok=len(targets) - len(failures),
        failures=failures,
    )


def measure(engine: Engine, folder: Path, database: Path) -> Archive:
    files = [path for path in folder.rglob("*") if path.is_file()] if folder.exists() else []
    with engine.connect() as connection:
        blobs = connection.scalar(select(func.count()).select_from(EvidenceBlob)) or 0
        captures = connection.scalar(select(func.count()).select_from(Capture)) or 0
        fetches = connection.scalar(select(func.coalesce(func.sum(Capture.fetch_count), 0))) or 0
        connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    return Archive(
        bytes=sum(path.stat().st_size for path in files),
        files=len(files),
        blobs=blobs,
        captures=captures,
        fetches=fetches,
        database=database.stat().st_size,
    )


def report(label: str, count: int, result: Pass) -> None:
    print(
        f"{label}: {result.wall:.2f} s, {count / result.wall:.0f} pages/s "
        f"(of which archiving {result.archive_wall:.2f} s, pages read on meanwhile); "
        f"{result.requests} requests, {result.responses} answers; "
        f"read OK: {result.ok}/{count}"
    )


def fail(message: str, details: Sequence[str] = ()) -> NoReturn:
    print(f"FAILED: {message}", file=sys.stderr)
    for line in details[:10]:
        print(f"  {line}", file=sys.stderr)
    if len(details) > 10:
        print(f"  … and {len(details) - 10} more", file=sys.stderr)
    raise SystemExit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--web-hosts", type=int, default=8, help="loopback addresses the websites use")
    parser.add_argument(
        "--size-scale", type=float, default=1.0, help="page weight as a fraction of the real pages'"
    )
    parser.add_argument("--interval", type=float, default=0.0, help="http.per_host_min_interval")
    parser.add_argument("--per-host-concurrency", type=int, default=2)
    parser.add_argument("--max-concurrency", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=1, help="unchanged passes after the first (best shown)")
    parser.add_argument(
        "--keep-bodies",
        action="store_true",
        help="hold every reading with its bodies until the pass ends (how scans worked before; compare RSS)",
    )
    args = parser.parse_args()
    if min(args.pages, args.web_hosts, args.repeat) < 1 or args.size_scale < 0:
        parser.error("--pages, --web-hosts and --repeat must be at least 1, --size-scale at least 0")
    configure("console", "WARNING")

    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    hits: Synchronized[int] = context.Value("q", 0)
    server = context.Process(
        target=serve, args=(args.pages, args.web_hosts, args.size_scale, sender, hits), daemon=True
    )
    server.start()
    try:
        if not receiver.poll(60):
            fail("the loopback web did not start")
        port: int = receiver.recv()
        bench(args, port, hits)
    finally:
        server.terminate()
        server.join(timeout=10)


def bench(args: argparse.Namespace, port: int, hits: Synchronized[int]) -> None:
    pages = catalog(args.pages, args.web_hosts)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        database = folder / "bench.db"
        evidence = folder / "evidence"
        env = {
            "MONITOR_DATABASE__URL": f"sqlite:///{database}",
            "MONITOR_EVIDENCE__DIR": str(evidence),
            "MONITOR_HTTP__ALLOW_PRIVATE_NETWORKS": "true",
            "MONITOR_HTTP__PER_HOST_MIN_INTERVAL": str(args.interval),
            "MONITOR_HTTP__PER_HOST_CONCURRENCY": str(args.per_host_concurrency),
            "MONITOR_HTTP__MAX_CONCURRENCY": str(args.max_concurrency),
            "MONITOR_HTTP__MAX_RETRIES": "0",
            "MONITOR_SOURCES__TELEGRAM__URL": f"http://{HOSTS['telegram']}:{port}",
            "MONITOR_SOURCES__TIKTOK__URL": f"http://{HOSTS['tiktok']}:{port}",
            "MONITOR_SOURCES__YOUTUBE__URL": f"http://{HOSTS['youtube']}:{port}",
        }
        settings = load_settings(REPO / "config" / "monitor.toml", environ=env)
        engine = open_database(settings.database.url)
        targets: list[tuple[Page, str]] = []
        for page in pages:
            url = page_url(
                page.kind, page.identity, f"http://{page.host}:{port}{page.path}", settings.sources
            )
            if url != f"http://{page.host}:{port}{page.path}":
                fail(f"{page.identity} is read at {url}, not where the loopback web serves it")
            targets.append((page, url))
        counts = {kind: sum(1 for page in pages if page.kind == kind) for kind in KINDS}
        print(
            f"pages: {len(pages)} ({', '.join(f'{kind} {n}' for kind, n in counts.items())}); "
            f"size scale {args.size_scale:g}; per_host_concurrency={args.per_host_concurrency} "
            f"max_concurrency={args.max_concurrency} interval={args.interval:g}s "
            f"enrich_concurrency={ENRICH_CONCURRENCY}; "
            + (
                "every reading held until the pass ends"
                if args.keep_bodies
                else "readings streamed to the archive"
            )
        )

        first = run_pass(settings, engine, targets, hits, args.keep_bodies)
        report("pass 1", len(pages), first)
        if first.ok != len(pages):
            fail(f"pass 1 read {first.ok} of {len(pages)} pages correctly", first.failures)
        after_first = measure(engine, evidence, database)
        print(
            f"evidence after pass 1: {after_first.bytes} bytes in {after_first.files} files; "
            f"index: {after_first.blobs} blobs, {after_first.captures} captures; "
            f"database {after_first.database} bytes"
        )

        repeats = [run_pass(settings, engine, targets, hits, args.keep_bodies) for _ in range(args.repeat)]
        for number, result in enumerate(repeats, start=2):
            report(f"pass {number} (unchanged)", len(pages), result)
        bad = [r for r in repeats if r.ok != len(pages)]
        if bad:
            fail(f"an unchanged pass read {bad[0].ok} of {len(pages)} pages correctly", bad[0].failures)
        best = min(repeats, key=lambda r: r.wall)
        after = measure(engine, evidence, database)
        refreshed = after.fetches - after_first.fetches
        growth = {
            "bytes": after.bytes - after_first.bytes,
            "files": after.files - after_first.files,
            "blobs": after.blobs - after_first.blobs,
            "captures": after.captures - after_first.captures,
        }
        print(
            f"unchanged pass: best {best.wall:.2f} s = {len(pages) / best.wall:.0f} pages/s "
            f"(pass 1: {len(pages) / first.wall:.0f} pages/s)"
        )
        print(
            f"new evidence on unchanged passes: {growth['bytes']} bytes, {growth['files']} files, "
            f"{growth['blobs']} blob rows, {growth['captures']} capture rows (target 0); "
            f"captures refreshed: {refreshed} of {sum(r.responses for r in repeats)} answers; "
            f"database {after.database - after_first.database:+d} bytes"
        )
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS: {peak:.0f} MB (client process; target <= {PEAK_TARGET_MB} MB for 1,000 pages)")
        engine.dispose()
        if any(growth.values()):
            fail("unchanged pages added evidence")
        if refreshed != sum(r.responses for r in repeats):
            fail("not every answer of the unchanged passes reached the archive")


if __name__ == "__main__":
    main()
