"""`monitor status` shows the job queue when scans run as jobs, and says so when they run inline."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from monitor.cli import cli
from tests.support.queue_jobs import fill, migrated

REPO = Path(__file__).resolve().parents[2]
ON_POSTGRESQL = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "config", tmp_path / "config")
    return tmp_path / "config" / "monitor.toml"


def status(config: Path, db_url: str, backend: str, *args: str, lang: str | None = None) -> Result:
    result = CliRunner().invoke(
        cli,
        [*(["--lang", lang] if lang else []), "--config", str(config), "status", *args],
        env={"MONITOR_DATABASE__URL": db_url, "MONITOR_QUEUE__BACKEND": backend},
    )
    assert result.exit_code == 0, result.output
    return result


def section(output: str, title: str) -> list[str]:
    """The lines of the queue section: its title line up to the next blank line."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    end = next((i for i in range(start, len(lines)) if not lines[i].strip()), len(lines))
    return lines[start:end]


def columns(line: str) -> list[str]:
    """The cells of a table line (columns are two or more spaces apart)."""
    return re.split(r"\s{2,}", line.strip())


@ON_POSTGRESQL
def test_procrastinate_backend_shows_the_queue(config: Path, db_url: str) -> None:
    migrated(db_url)
    filled = fill(db_url)

    shown = section(status(config, db_url, "procrastinate").output, "Hàng đợi công việc")
    assert shown[0] == "Hàng đợi công việc:"
    assert shown[1].startswith("  Đang chờ: 2 việc đến hạn, 2 việc hẹn giờ sau — việc chờ lâu nhất: ")
    assert "  Tiến trình xử lý còn nhịp tim: 1" in shown
    assert "  Đang chạy: 1 việc" in shown
    assert "  Thất bại trong 24 giờ qua: 2 việc" in shown
    assert "  Chờ chạy lại: 1 việc" in shown
    # Queues and tasks in words; the lock, a stored string, as it is.
    running = next(line for line in shown if line.strip().startswith(f"{filled.running_id} "))
    assert "  đánh giá và ghi nhận  đánh giá  judge:bhxh-hcm  " in running
    assert running.endswith(f"  {filled.worker_id}")
    waiting = {
        cols[0]: cols[1:3] for cols in map(columns, shown) if cols[0] in ("tìm kiếm", "đánh giá", "lịch chạy")
    }
    assert waiting == {"tìm kiếm": ["1", "1"], "đánh giá": ["1", "0"], "lịch chạy": ["0", "1"]}
    failed_rows = [line.split()[0] for line in shown if "gửi cảnh báo" in line]
    assert sorted(failed_rows) == sorted(str(i) for i in filled.failed_ids)
    retrying = next(line for line in shown if line.strip().startswith(f"{filled.retrying_id} "))
    assert "gửi bản tin" in retrying

    english = section(status(config, db_url, "procrastinate", lang="en").output, "Job queue")
    assert english[1].startswith("  Waiting: 2 due, 2 scheduled for later — oldest waiting: ")
    assert "  Failed in the last 24 hours: 2 job(s)" in english
    assert "  Waiting for a retry: 1 job(s)" in english
    assert any("judge and record  judgement  judge:bhxh-hcm" in line for line in english)

    data = json.loads(status(config, db_url, "procrastinate", "--json").output)["queue"]
    assert data["backend"] == "procrastinate"
    assert data["available"] is True
    assert {q["queue"]: (q["due"], q["later"]) for q in data["waiting"]["queues"]} == {
        "discover": (1, 1),
        "judge": (1, 0),
        "schedule": (0, 1),
    }
    assert [job["id"] for job in data["running"]["jobs"]] == [filled.running_id]
    assert data["failed"]["count"] == 2
    assert data["retrying"]["jobs"][0]["id"] == filled.retrying_id
    assert data["workers"] == {"alive": 1, "silent": 0}


def test_inline_backend_says_scans_run_in_the_process(config: Path, db_url: str) -> None:
    migrated(db_url)
    data = json.loads(status(config, db_url, "inline", "--json").output)
    assert data["queue"] == {"backend": "inline"}
    shown = section(status(config, db_url, "inline").output, "Hàng đợi công việc")
    assert shown == ["Hàng đợi công việc: không dùng — các lượt quét chạy ngay trong tiến trình giám sát."]
    english = section(status(config, db_url, "inline", lang="en").output, "Job queue")
    assert english == ["Job queue: not used — scans run inside the monitor's own process."]


def test_every_queue_and_task_of_the_monitor_has_words(config: Path) -> None:
    from monitor.queue.app import QUEUES, Queue
    from monitor.queue_words import QUEUE_NAMES, TASK_NAMES, named
    from monitor.settings import load_settings

    settings = load_settings(
        config,
        {
            "MONITOR_DATABASE__URL": "postgresql+psycopg://monitor@127.0.0.1:1/none",
            "MONITOR_QUEUE__BACKEND": "procrastinate",
        },
    )
    tasks = {name for name in Queue(settings).app.tasks if name.startswith("monitor.")}
    assert tasks
    assert tasks <= set(TASK_NAMES)
    assert set(QUEUES) <= set(QUEUE_NAMES)
    # A code without words is shown as it is, its controls made visible.
    assert named(TASK_NAMES, "other.task\u202e", "vi") == "other.task\\u202e"
    assert named(QUEUE_NAMES, "judge", "en") == "judgement"
