"""`screenshot_command`: notes in words or JSON, exit 1 when nothing could be taken."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from monitor.capture.cli import screenshot_command
from monitor.commands.context import CliContext
from monitor.log import configure
from monitor.store.db import open_database, session_factory, session_scope
from monitor.store.schema import Finding

REPO = Path(__file__).resolve().parents[2]


def _config(tmp_path: Path, chromium: Path) -> Path:
    shutil.copy(REPO / "config" / "brands.toml", tmp_path / "brands.toml")
    config = tmp_path / "monitor.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "monitor.db"}"\n'
        f'[evidence]\ndir = "{tmp_path / "evidence"}"\n'
        f'[screenshots]\nchromium = "{chromium}"\n',
        encoding="utf-8",
    )
    return config


def _add(url: str, platform: str) -> Finding:
    return Finding(
        brand="bhxh-binh-duong",
        platform=platform,
        identity=f"{platform}:{url}",
        url=url,
        name="BHXH Bình Dương",
        score=95,
        verdict="impersonation",
        page_state="read",
    )


def test_the_command_explains_why_nothing_was_taken(tmp_path: Path) -> None:
    config = _config(tmp_path, tmp_path / "missing-chromium")
    engine = open_database(f"sqlite:///{tmp_path / 'monitor.db'}")
    with session_scope(session_factory(engine)) as session:
        web, facebook = (
            _add("https://bhxh-hotro.example/", "web"),
            _add("https://www.facebook.com/x", "facebook"),
        )
        session.add_all([web, facebook])
        session.flush()
        ids = [str(web.id), str(facebook.id)]
    engine.dispose()
    configure("console", "INFO")  # as the root command does: logs to stderr, never into --json

    words = CliRunner().invoke(screenshot_command, ids, obj=CliContext(config=config, lang="vi"))
    assert words.exit_code == 1
    assert "Không tìm thấy Chromium" in words.output
    assert "Không chụp trang Facebook" in words.output
    assert "Đã lưu 0, bỏ qua 2, lỗi 0." in words.output

    as_json = CliRunner().invoke(
        screenshot_command, [*ids, "--json"], obj=CliContext(config=config, lang="en")
    )
    assert as_json.exit_code == 1
    data = json.loads(as_json.stdout)
    assert [f["code"] for f in data["findings"]] == ["no_chromium", "facebook"]
    assert data["stored"] == 0
