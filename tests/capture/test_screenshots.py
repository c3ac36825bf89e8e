"""capture_screenshots: who is eligible, the PNG archived by SHA-256, notes instead of failures."""

from __future__ import annotations

import asyncio
import hashlib
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy.orm import Session, sessionmaker

from monitor.capture.proxy import ProxyLog
from monitor.capture.screenshots import capture_screenshots, run_screenshots
from monitor.capture.shooter import Shot
from monitor.evidence import EvidenceArchive
from monitor.settings import (
    BrandSettings,
    EvidenceSettings,
    HttpSettings,
    ScreenshotSettings,
    Settings,
)
from monitor.store.db import open_database, session_factory, session_scope
from monitor.store.evidence_files import EvidenceFileRepository
from monitor.store.schema import Finding
from tests.capture.conftest import make_shooter, processes_mentioning
from tests.capture.servers import html, serve

PAGE = """<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>BHXH hỗ trợ</title></head>
<body style="font-family:sans-serif"><h1>BHXH Bình Dương – hỗ trợ trực tuyến</h1>
<p>Nhắn Zalo để được hoàn tiền.</p></body></html>"""


def _settings(tmp_path: Path, **shots: object) -> Settings:
    brand = BrandSettings(slug="bhxh-binh-duong", name="BHXH tỉnh Bình Dương", organization_terms=["bhxh"])
    return Settings(
        config_path=tmp_path / "monitor.toml",
        brands=[brand],
        # The robots.txt fetch goes through the HTTP client, to loopback servers here.
        http=HttpSettings(allow_private_networks=True, max_retries=0),
        evidence=EvidenceSettings(dir=tmp_path / "evidence"),
        screenshots=ScreenshotSettings(**shots),
    )


@pytest.fixture
def factory(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    engine = open_database(f"sqlite:///{tmp_path / 'monitor.db'}")
    yield session_factory(engine)
    engine.dispose()


def _finding(
    factory: sessionmaker[Session],
    url: str,
    *,
    platform: str = "web",
    verdict: str = "impersonation",
    page_state: str | None = "read",
) -> int:
    with session_scope(factory) as session:
        finding = Finding(
            brand="bhxh-binh-duong",
            platform=platform,
            identity=f"{platform}:{url}",
            url=url,
            name="BHXH Bình Dương hỗ trợ",
            score=90,
            verdict=verdict,
            page_state=page_state,
        )
        session.add(finding)
        session.flush()
        return finding.id


def test_a_page_is_captured_stored_by_hash_and_not_taken_again(
    chromium: str, tmp_path: Path, factory: sessionmaker[Session]
) -> None:
    settings = _settings(tmp_path)
    with serve(
        {"/": html(PAGE), "/robots.txt": (200, {"Content-Type": "text/plain"}, b"User-agent: *\nAllow: /\n")}
    ) as page:
        finding_id = _finding(factory, page.base + "/")
        shooter = make_shooter(chromium, tmp_path, ("127.0.0.1", page.port))
        first = asyncio.run(run_screenshots(settings, factory, [finding_id], capture=shooter.capture))
        again = asyncio.run(run_screenshots(settings, factory, [finding_id], capture=shooter.capture))
    assert (first.stored, first.skipped, first.failed) == (1, 0, 0)
    note = first.notes[0]
    assert note.code == "stored"
    assert note.sha256 is not None
    with session_scope(factory) as session:
        rows = EvidenceFileRepository(session).for_finding(finding_id, kind="screenshot")
        assert [(r.sha256, r.source_url, r.media_type) for r in rows] == [
            (note.sha256, page.base + "/", "image/png")
        ]
        assert rows[0].kind == "screenshot"
        assert rows[0].note is not None
        assert "0 bị chặn" in rows[0].note
        png = EvidenceArchive(settings.evidence.dir).read(note.sha256)
    assert hashlib.sha256(png).hexdigest() == note.sha256
    with Image.open(io.BytesIO(png)) as image:
        assert (image.format, image.size) == ("PNG", (800, 600))
    assert [n.code for n in again.notes] == ["recent"]
    assert page.paths.count("/") == 1  # the second round did not open the page
    assert first.as_json("en")["findings"][0]["note"] == "Screenshot taken"


def test_findings_that_must_not_be_captured_are_skipped_with_notes(db_url: str, tmp_path: Path) -> None:
    engine = open_database(db_url)
    factory = session_factory(engine)
    disallow = b"User-agent: *\nDisallow: /private\n"
    opened: list[str] = []

    async def capture(url: str) -> Shot:
        opened.append(url)
        raise AssertionError(f"{url} must not be opened")

    try:
        with serve({"/robots.txt": (200, {"Content-Type": "text/plain"}, disallow)}) as site:
            ids = [
                _finding(factory, "https://www.facebook.com/bhxh.binhduong.hotro", platform="facebook"),
                _finding(factory, site.base + "/private/page"),
                _finding(factory, site.base + "/clear", verdict="clear"),
                _finding(factory, site.base + "/blocked", page_state="blocked"),
                _finding(factory, "https://zalo.me/0900000000", platform="zalo"),
                987654,
            ]
            report = asyncio.run(run_screenshots(_settings(tmp_path), factory, ids, capture=capture))
    finally:
        engine.dispose()
    codes = [(n.finding_id, n.code) for n in report.notes]
    assert codes == list(
        zip(ids, ["facebook", "robots", "verdict", "not_read", "platform", "missing"], strict=True)
    )
    assert opened == []
    assert site.paths == ["/robots.txt"]  # only robots.txt was read, never the page
    assert (report.stored, report.failed, report.skipped) == (0, 0, 6)
    texts = {n.code: n.text("vi") for n in report.notes}
    assert "Facebook" in texts["facebook"]
    assert "robots.txt" in texts["robots"]
    assert "bị chặn" not in texts["verdict"]


def test_without_chromium_the_capture_is_skipped_with_a_note(
    tmp_path: Path, factory: sessionmaker[Session]
) -> None:
    missing = tmp_path / "no-such" / "chromium"
    settings = _settings(tmp_path, chromium=str(missing))
    finding_id = _finding(factory, "https://bhxh-hotro.example/")
    report = asyncio.run(capture_screenshots(settings, factory, [finding_id]))
    assert [(n.code, n.status) for n in report.notes] == [("no_chromium", "skipped")]
    assert str(missing) in report.notes[0].text("vi")
    assert "Chromium" in report.notes[0].text("en")
    assert report.chromium is None


def test_disabled_and_stopped_rounds_open_nothing(tmp_path: Path, factory: sessionmaker[Session]) -> None:
    finding_id = _finding(factory, "https://bhxh-hotro.example/")
    off = asyncio.run(capture_screenshots(_settings(tmp_path, enabled=False), factory, [finding_id]))
    assert [n.code for n in off.notes] == ["disabled"]

    stop = asyncio.Event()
    stop.set()

    async def capture(url: str) -> Shot:
        raise AssertionError("must not run after stop")

    stopped = asyncio.run(
        run_screenshots(_settings(tmp_path), factory, [finding_id], stop=stop, capture=capture)
    )
    assert [n.code for n in stopped.notes] == ["stopped"]


def test_a_stop_during_a_capture_kills_the_browser(
    chromium: str, tmp_path: Path, factory: sessionmaker[Session]
) -> None:
    with serve({"/robots.txt": (404, {}, b"")}, hang=frozenset({"/"})) as page:
        finding_id = _finding(factory, page.base + "/")
        shooter = make_shooter(chromium, tmp_path, ("127.0.0.1", page.port), timeout=300, load_timeout=300)

        async def run() -> list[str]:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            # The stop comes once the browser is waiting on the page: an event, not a delay.
            waiter = loop.run_in_executor(None, page.held.wait, 120)
            work = asyncio.ensure_future(
                run_screenshots(
                    _settings(tmp_path), factory, [finding_id], stop=stop, capture=shooter.capture
                )
            )
            assert await waiter
            stop.set()
            report = await work
            return [n.code for n in report.notes]

        codes = asyncio.run(run())
    assert codes == ["stopped"]
    assert processes_mentioning(str(tmp_path)) == []
    leftovers = [p for p in tmp_path.iterdir() if p.name.startswith("monitor-shot-")]
    assert leftovers == []


def test_a_page_on_a_private_address_is_refused_before_anything_is_asked(
    tmp_path: Path, factory: sessionmaker[Session]
) -> None:
    settings = _settings(tmp_path).model_copy(update={"http": HttpSettings()})

    async def capture(url: str) -> Shot:
        raise AssertionError("must not be opened")

    with serve({"/": html(PAGE)}) as site:
        finding_id = _finding(factory, site.base + "/")
        report = asyncio.run(run_screenshots(settings, factory, [finding_id], capture=capture))
    assert [(n.code, n.status) for n in report.notes] == [("unsafe", "skipped")]
    assert site.paths == []


def _png() -> bytes:
    image = Image.new("RGB", (64, 48), "white")
    image.putpixel((3, 3), (200, 0, 0))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def test_at_most_the_configured_number_of_browsers_run_at_once(
    tmp_path: Path, factory: sessionmaker[Session]
) -> None:
    with serve({"/robots.txt": (404, {}, b"")}) as site:
        ids = [_finding(factory, f"{site.base}/p{n}") for n in range(4)]
        active: list[str] = []
        most = 0

        async def run() -> list[str]:
            full = asyncio.Event()

            async def capture(url: str) -> Shot:
                nonlocal most
                active.append(url)
                most = max(most, len(active))
                if len(active) == 2:
                    full.set()
                await full.wait()  # the first two wait for each other: both must be running
                active.remove(url)
                return Shot(_png(), 64, 48, ProxyLog(requests=[f"GET {url}"]))

            settings = _settings(tmp_path, concurrency=2)
            async with asyncio.timeout(120):  # only a guard: a single browser slot would wait forever
                report = await run_screenshots(settings, factory, ids, capture=capture)
            return [n.code for n in report.notes]

        codes = asyncio.run(run())
    assert codes == ["stored"] * 4
    assert most == 2


def test_an_evidence_folder_that_cannot_be_written_gives_a_note(
    tmp_path: Path, factory: sessionmaker[Session]
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    settings = _settings(tmp_path).model_copy(update={"evidence": EvidenceSettings(dir=blocker)})

    async def capture(url: str) -> Shot:
        return Shot(_png(), 64, 48, ProxyLog(requests=[f"GET {url}"]))

    with serve({"/robots.txt": (404, {}, b"")}) as site:
        finding_id = _finding(factory, site.base + "/")
        report = asyncio.run(run_screenshots(settings, factory, [finding_id], capture=capture))
    assert [(n.code, n.status) for n in report.notes] == [("not_stored", "failed")]
    with session_scope(factory) as session:
        assert EvidenceFileRepository(session).for_finding(finding_id) == []
