"""The console under test: its own config, a seeded store, accounts, and the app on a loopback port."""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from monitor.diff import Change
from monitor.evidence import EvidenceArchive
from monitor.settings import Settings, load_settings
from monitor.store.accounts import AccountRepository
from monitor.store.db import open_database, session_factory, session_scope
from monitor.store.evidence_files import EvidenceFileRepository
from monitor.store.findings import FindingData, FindingRepository
from monitor.web.app import create_app
from monitor.web.passwords import hash_password
from tests.support.loopback import serve

BRANDS = """
[[brands]]
slug = "bhxh-binh-duong"
name = "Bảo hiểm xã hội tỉnh Bình Dương"
organization_terms = ["bảo hiểm xã hội", "bhxh"]

[[brands]]
slug = "bhxh-hcm"
name = "Bảo hiểm xã hội Thành phố Hồ Chí Minh"
organization_terms = ["bảo hiểm xã hội", "bhxh"]
"""
HOSTILE = (
    '<img src=x onerror="document.title=\'pwned\'"><script>document.title="pwned"</script>'
    "\x1b[31m\u202e\x00BHXH Bình Dương giả <b>mạo</b>" + "Ж" * 10_000
)
CAPTURED = (
    "<html><head><title>Trang giả</title></head><body><h1 id='h'>BHXH Bình Dương</h1>".encode()
    + b"<script>document.getElementById('h').textContent='SCRIPT RAN';"
    b"try{parent.document.title='SCRIPT RAN'}catch(e){}</script></body></html>"
)
PASSWORD = "mật khẩu đủ dài 123"
T0 = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Fetched:
    url: str
    final_url: str
    status: int
    headers: dict[str, str]
    body: bytes
    fetched_at: datetime
    robots: str = "allowed"


def write_config(folder: Path, db_url: str) -> Settings:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "monitor.toml").write_text("", encoding="utf-8")
    (folder / "brands.toml").write_text(BRANDS, encoding="utf-8")
    env = {"MONITOR_DATABASE__URL": db_url, "MONITOR_EVIDENCE__DIR": str(folder / "data" / "evidence")}
    return load_settings(folder / "monitor.toml", env)


def sighting(brand: str, identity: str, name: str, **extra: object) -> FindingData:
    values: dict[str, object] = {
        "brand": brand,
        "platform": identity.split(":")[0],
        "identity": identity,
        "url": f"https://{identity.split(':')[0]}.example/{identity.split(':')[-1]}",
        "name": name,
        "score": 80,
        "verdict": "impersonation",
        "reasons": [{"code": "organization_match", "detail": "bhxh", "weight": 40}],
        "signals": ["phone:0912345678", "bank:0123456789 Vietcombank"],
        "sources": frozenset({"duckduckgo"}),
    }
    values.update(extra)
    return FindingData(**values)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Seeded:
    hostile: int
    renamed: int
    suspects: list[int]
    hcm: list[int]
    capture: int


def seed(settings: Settings) -> Seeded:
    """Findings of two offices on several platforms, a renamed one with a captured page and a screenshot."""
    engine = open_database(settings.database.url)
    try:
        with session_scope(session_factory(engine)) as session:
            repo = FindingRepository(session)

            def add(data: FindingData, when: datetime) -> int:
                finding, _ = repo.apply_sighting(Change(data.identity, "new"), data, None, when)
                assert finding is not None
                return finding.id

            hostile = add(sighting("bhxh-binh-duong", "facebook:page:hostile", HOSTILE, score=95), T0)
            renamed = add(sighting("bhxh-binh-duong", "tiktok:@bhxhbd", "BHXH Bình Dương hỗ trợ"), T0)
            data = sighting("bhxh-binh-duong", "tiktok:@bhxhbd", "BHXH Bình Dương CSKH")
            repo.apply_sighting(Change(data.identity, "changed"), data, None, T0 + timedelta(days=2))
            suspects = [
                add(
                    sighting(
                        "bhxh-binh-duong",
                        f"web:site{i}.example",
                        f"Tra cứu BHXH {i}",
                        verdict="suspect",
                        score=50 + i,
                    ),
                    T0 + timedelta(days=3, hours=i),
                )
                for i in range(3)
            ]
            hcm = [
                add(
                    sighting("bhxh-hcm", f"facebook:page:hcm{i}", f"BHXH TP.HCM {i}", score=70),
                    T0 + timedelta(days=5),
                )
                for i in range(2)
            ]
            archive = EvidenceArchive(settings.evidence.dir)
            stored = archive.store(
                session,
                Fetched(
                    url="https://tiktok.example/@bhxhbd",
                    final_url="https://tiktok.example/@bhxhbd",
                    status=200,
                    headers={"content-type": "text/html; charset=utf-8"},
                    body=CAPTURED,
                    fetched_at=T0 + timedelta(days=2),
                ),
                renamed,
            )
            png = _png()
            sha = archive.store_bytes(session, png, "image/png")
            EvidenceFileRepository(session).add(
                renamed,
                sha,
                "screenshot",
                media_type="image/png",
                source_url="https://tiktok.example/@bhxhbd",
            )
            return Seeded(hostile, renamed, suspects, hcm, stored.capture_id)
    finally:
        engine.dispose()


def _png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


@cache
def password_hash() -> str:
    """PASSWORD hashed once: Argon2id spends about a third of a CPU second on each hash by design."""
    return hash_password(PASSWORD)


def add_user(settings: Settings, name: str, role: str, language: str = "vi") -> None:
    engine = open_database(settings.database.url)
    try:
        with session_scope(session_factory(engine)) as session:
            AccountRepository(session).add(name, password_hash(), role, language=language)
    finally:
        engine.dispose()


@dataclass
class Console:
    url: str
    settings: Settings
    seeded: Seeded

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, follow_redirects=False, timeout=30)

    @contextmanager
    def login(self, name: str, password: str = PASSWORD) -> Iterator[httpx.Client]:
        with self.client() as client:
            response = login(client, name, password)
            assert response.status_code == 303, response.text
            yield client


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no csrf_token field on the page"
    return match.group(1)


def login(client: httpx.Client, name: str, password: str, next_url: str = "/findings") -> httpx.Response:
    token = csrf_of(client.get("/login").text)
    return client.post(
        "/login", data={"username": name, "password": password, "csrf_token": token, "next": next_url}
    )


@contextmanager
def running(settings: Settings) -> Iterator[str]:
    """The console on a free loopback port; ready once /healthz answers."""
    engine = open_database(settings.database.url)
    try:
        with serve(create_app(settings, engine)) as url:
            wait_ready(url)
            yield url
    finally:
        engine.dispose()


def wait_ready(url: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("the console did not become ready")
        time.sleep(0.02)


@pytest.fixture
def console(tmp_path: Path) -> Iterator[Console]:
    """Seeded SQLite store, accounts viewer/officer/admin (and an English officer), the app running."""
    settings = write_config(tmp_path / "site", f"sqlite:///{tmp_path / 'site' / 'data' / 'monitor.db'}")
    seeded = seed(settings)
    for name, role, language in (
        ("vy", "viewer", "vi"),
        ("oanh", "officer", "vi"),
        ("olga", "officer", "en"),
        ("an", "admin", "vi"),
    ):
        add_user(settings, name, role, language)
    with running(settings) as url:
        yield Console(url, settings, seeded)


# Real headless Chromium: Debian's /usr/bin/chromium driven by Playwright (never a downloaded build).
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = CHROMIUM if Path(CHROMIUM).is_file() else shutil.which("chromium")
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing in CI")
        pytest.skip("Chromium is not installed")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=FLAGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def dialogs() -> list[str]:
    """Messages of any alert/confirm a page opened: none may ever appear."""
    return []


@pytest.fixture
def page(browser: Browser, dialogs: list[str]) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    try:
        yield page
    finally:
        context.close()
