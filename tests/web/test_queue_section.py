"""The Sources and scans page shows the job queue when scans run as jobs: escaped, in the reader's words."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from monitor.settings import Settings, load_settings
from tests.support.queue_jobs import fill, migrated
from tests.web.conftest import BRANDS, PASSWORD, add_user, login, running

ON_POSTGRESQL = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
HOSTILE_LOCK = '<script>document.title="pwned"</script>\u202escan:9'


def settings_for(folder: Path, db_url: str, backend: str) -> Settings:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "monitor.toml").write_text("", encoding="utf-8")
    (folder / "brands.toml").write_text(BRANDS, encoding="utf-8")
    env = {
        "MONITOR_DATABASE__URL": db_url,
        "MONITOR_EVIDENCE__DIR": str(folder / "data" / "evidence"),
        "MONITOR_QUEUE__BACKEND": backend,
    }
    return load_settings(folder / "monitor.toml", env)


@dataclass(frozen=True)
class Site:
    url: str

    @contextmanager
    def login(self, name: str) -> Iterator[httpx.Client]:
        with httpx.Client(base_url=self.url, follow_redirects=False, timeout=30) as client:
            assert login(client, name, PASSWORD).status_code == 303
            yield client


@pytest.fixture
def queue_console(tmp_path: Path, db_url: str) -> Iterator[Site]:
    """A console on the test database, scans as jobs on PostgreSQL and inline on SQLite."""
    backend = "procrastinate" if db_url.startswith("postgresql") else "inline"
    settings = settings_for(tmp_path / "site", db_url, backend)
    migrated(db_url)
    add_user(settings, "vy", "viewer", "vi")
    add_user(settings, "olga", "officer", "en")
    with running(settings) as url:
        yield Site(url)


def queue_section(html: str) -> str:
    found = re.search(r'<section class="card" id="job-queue">(.*?)</section>', html, re.S)
    assert found, "no job queue section on the page"
    return found.group(1)


def cells(section: str, table: str) -> list[list[str]]:
    body = re.search(rf'<table class="{table}">.*?<tbody>(.*?)</tbody>', section, re.S)
    assert body, f"no {table} table"
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)
    ]


@ON_POSTGRESQL
def test_the_queue_section_in_vietnamese_and_english(queue_console: Site, db_url: str) -> None:
    filled = fill(db_url, lock=HOSTILE_LOCK)
    with queue_console.login("vy") as client:
        html = client.get("/sources").text
    section = queue_section(html)
    assert "<h2>Hàng đợi công việc</h2>" in section
    assert "Tiến trình xử lý còn nhịp tim: 1" in section
    assert "Đang chờ: 2 việc đến hạn, 2 việc hẹn giờ sau" in section
    assert "Đang chạy: 1 việc" in section
    assert "Thất bại trong 24 giờ qua: 2 việc" in section
    assert "Chờ chạy lại: 1 việc" in section
    assert sorted((row[0], row[1], row[2]) for row in cells(section, "job-waiting")) == [
        ("lịch chạy", "0", "1"),
        ("tìm kiếm", "1", "1"),
        ("đánh giá", "1", "0"),
    ]
    (running_row,) = cells(section, "job-running")
    assert running_row[:3] == [str(filled.running_id), "đánh giá và ghi nhận", "đánh giá"]
    assert running_row[5] == str(filled.worker_id)
    # The lock is a stored string: shown escaped, its bidi control made visible, never run.
    assert "&lt;script&gt;document.title=&#34;pwned&#34;&lt;/script&gt;\\u202escan:9" in section
    assert "<script>document.title" not in html
    assert sorted(row[0] for row in cells(section, "job-failed")) == sorted(str(i) for i in filled.failed_ids)
    assert [row[0] for row in cells(section, "job-retrying")] == [str(filled.retrying_id)]

    with queue_console.login("olga") as client:
        english = queue_section(client.get("/sources").text)
    assert "<h2>Job queue</h2>" in english
    assert "Waiting: 2 due, 2 scheduled for later" in english
    assert "Failed in the last 24 hours: 2 job(s)" in english
    assert "Waiting for a retry: 1 job(s)" in english
    assert [row[1:3] for row in cells(english, "job-retrying")] == [["send the digest", "schedule"]]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_no_queue_section_when_scans_run_inline(queue_console: Site) -> None:
    with queue_console.login("vy") as client:
        html = client.get("/sources").text
    assert "Tình trạng nguồn" in html  # the page itself is there
    assert 'id="job-queue"' not in html
