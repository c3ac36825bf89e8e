"""`monitor evidence screenshot` is reachable from the command line, with its help in both languages."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.test_cli import REPO, run


def test_screenshot_is_an_evidence_command_in_both_languages(tmp_path: Path) -> None:
    shutil.copytree(REPO / "config", tmp_path / "config")
    group = run("evidence", "--help", cwd=tmp_path)
    assert group.returncode == 0, group.stderr
    assert "screenshot" in group.stdout
    vietnamese = run("evidence", "screenshot", "--help", cwd=tmp_path)
    assert vietnamese.returncode == 0, vietnamese.stderr
    assert "Chụp màn hình trang công khai của các phát hiện" in vietnamese.stdout
    assert "--force" in vietnamese.stdout
    assert "Chụp lại dù đã có ảnh gần đây." in vietnamese.stdout
    english = run("--lang", "en", "evidence", "screenshot", "--help", cwd=tmp_path)
    assert english.returncode == 0, english.stderr
    assert "Screenshot findings' public pages with headless Chromium" in english.stdout
    assert "Capture again even when a recent screenshot exists." in english.stdout
    # Asked for nothing: a usage error, not a crash.
    bare = run("evidence", "screenshot", cwd=tmp_path)
    assert bare.returncode == 2
    assert "FINDING_IDS" in bare.stderr
