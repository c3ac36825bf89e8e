"""Vietnamese by default, English with --lang en: Click's own words, help texts, codes and stored notes."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import get_args

import click
import click.core
import pytest
from click.testing import CliRunner

from monitor.cli import cli
from monitor.cli_i18n import CLICK_VI, ClickVietnamese
from monitor.commands import COMMANDS
from monitor.diff import (
    NOT_REPORTED,
    SILENCING_TRIAGE,
    TRIAGE_ACTIONS,
    EventKind,
    RunStatus,
    ScanStatus,
    SourceStatus,
    Status,
    Triage,
    Verdict,
)
from monitor.display import local_time, machine_time
from monitor.i18n import requested_language, retranslate, tr
from monitor.notes import note_text
from monitor.notify.texts import EVENTS, PAGE_STATES, RUN_STATUS, STATUSES, TRIAGE, VERDICTS
from monitor.page_state import PageState
from monitor.store.db import open_database, session_factory, session_scope
from monitor.store.schema import Scan, SourceRun

REPO = Path(__file__).resolve().parents[1]
ENGLISH_ONLY = ("Usage:", "Options:", "Show this message", "Commands:", "Error:")


def invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env=env)
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        ([], {}, "vi"),
        (["--lang", "en", "--help"], {}, "en"),
        (["--lang=en", "status"], {}, "en"),
        (["--config", "x.toml", "--lang", "vi", "scan"], {"MONITOR_LANG": "en"}, "vi"),
        (["status"], {"MONITOR_LANG": "en"}, "en"),
        (["--lang", "fr"], {}, "vi"),  # left for Click to refuse
        (["--", "--lang", "en"], {}, "vi"),  # after "--" it is an argument
        (["match", "--lang", "en"], {}, "vi"),  # after the sub-command: not the global option
        (["digest", "--lang", "en"], {}, "vi"),  # the digest's own language
        (["--log-level", "info", "--lang", "en", "digest"], {}, "en"),
    ],
)
def test_requested_language(
    args: list[str], env: dict[str, str], expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert requested_language(args, ("--config", "--log-level", "--log-format", "--lang")) == expected


def test_texts_picked_without_a_language_can_be_switched() -> None:
    shown = tr("Lọc theo thương hiệu đã chọn.", "Filter by the chosen brand.")
    assert shown == "Lọc theo thương hiệu đã chọn."
    assert retranslate(shown, "en") == "Filter by the chosen brand."
    assert retranslate("Filter by the chosen brand.", "vi") == shown
    assert retranslate("never picked", "en") == "never picked"


def test_click_catalogue_keeps_every_placeholder() -> None:
    translations = ClickVietnamese()
    for english, vietnamese in CLICK_VI.items():
        placeholders = sorted(part.split("}")[0] for part in english.split("{")[1:])
        assert sorted(part.split("}")[0] for part in vietnamese.split("{")[1:]) == placeholders, english
        assert translations.gettext(english) == vietnamese
    assert translations.gettext("not in the catalogue") == "not in the catalogue"
    assert translations.ngettext("{value!r} is not {choice}.", "{value!r} is not one of {choices}.", 2) == (
        "{value!r} không phải một trong {choices}."
    )


def test_default_help_is_vietnamese_and_english_is_selectable() -> None:
    code, vietnamese = invoke("--help")
    assert code == 0
    assert "Cách dùng:" in vietnamese
    assert "Tùy chọn:" in vietnamese
    assert "Hiện hướng dẫn này rồi thoát." in vietnamese
    assert "Giám sát tài khoản" in vietnamese
    for english in ENGLISH_ONLY:
        assert english not in vietnamese
    code, english_help = invoke("--lang", "en", "--help")
    assert code == 0
    assert "Usage:" in english_help
    assert "Watches for accounts" in english_help
    assert "Show the version and exit." in english_help
    assert "Giám sát" not in english_help
    _, from_env = invoke("--help", env={"MONITOR_LANG": "en"})
    assert "Watches for accounts" in from_env


def _sub_commands() -> list[tuple[str, ...]]:
    paths: list[tuple[str, ...]] = []
    for name, entry in COMMANDS.items():
        command = entry.load()
        paths.append((name,))
        if isinstance(command, click.Group):
            paths.extend((name, sub) for sub in command.commands)
    return paths


def test_every_sub_command_has_help_in_both_languages() -> None:
    # Loaded once here: later runs switch texts that were built in the other language.
    for path in _sub_commands():
        code, vietnamese = invoke(*path, "--help")
        assert code == 0, path
        for english in ENGLISH_ONLY:
            assert english not in vietnamese, (path, english)
        code, english_help = invoke("--lang", "en", *path, "--help")
        assert code == 0, path
        assert "Usage:" in english_help, path
        assert "Cách dùng" not in english_help, path
        assert "Hiện hướng dẫn" not in english_help, path
        entry = COMMANDS[path[0]]
        if len(path) == 1:
            assert entry.vi[:12] in vietnamese, path
            assert entry.en[:12] in english_help, path


def test_click_usage_errors_are_vietnamese_and_english_on_request() -> None:
    code, output = invoke("findings", "list", "--status", "bogus")
    assert code == 2
    assert "Lỗi: Giá trị không hợp lệ cho '--status'" in output
    assert "Dùng 'cli findings list --help' để xem hướng dẫn." in output
    for english in ENGLISH_ONLY:
        assert english not in output
    code, output = invoke("nope")
    assert "Lỗi: Không có lệnh 'nope'." in output
    code, output = invoke("findings", "show")
    assert "Thiếu tham số 'FINDING_ID'" in output
    code, output = invoke("--lang", "en", "findings", "list", "--bogus")
    assert code == 2
    assert "Error: No such option '--bogus'" in output
    assert "Usage:" in output


def test_a_run_leaves_click_as_it_found_it() -> None:
    before = click.core._
    invoke("findings", "list", "--status", "bogus")
    assert click.core._ is before
    assert tr("có", "yes") == "có"
    invoke("--lang", "en", "--help")
    assert tr("có", "yes") == "có"


def test_version_in_both_languages() -> None:
    assert invoke("--version")[1] == "monitor, phiên bản " + _version() + "\n"
    assert invoke("--lang", "en", "--version")[1] == "monitor, version " + _version() + "\n"


def _version() -> str:
    from monitor import __version__

    return __version__


@pytest.mark.parametrize(
    ("note", "vietnamese"),
    [
        ("https://search.example/q: connection failed", "https://search.example/q: không kết nối được"),
        (
            "2899 of 7318 look-ups unanswered (servfail 899, timeout 2000)",
            "2899/7318 lượt tra cứu DNS không có trả lời (máy chủ DNS lỗi 899, quá thời gian 2000)",
        ),
        ("disabled", "đã tắt"),
        ("dns: nothing to look up; crtsh: disabled", "dns: không có tên nào cần tra cứu; crtsh: đã tắt"),
        ("https://x.example/: timed out", "https://x.example/: quá thời gian chờ"),
        ("interrupted", "bị ngắt"),
        ("stopped", "đã dừng theo yêu cầu"),
        ("https://disabled.example/a: HTTP 503", "https://disabled.example/a: HTTP 503"),
    ],
)
def test_stored_notes_in_words(note: str, vietnamese: str) -> None:
    assert note_text(note, "vi") == vietnamese
    assert note_text(note, "en") == note


@pytest.fixture
def config(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "config", tmp_path / "config")
    return tmp_path / "config" / "monitor.toml"


def test_status_shows_words_and_headers_not_codes(config: Path, db_url: str) -> None:
    engine = open_database(db_url)
    started = datetime(2026, 12, 1, 1, 30, tzinfo=UTC)
    with session_scope(session_factory(engine)) as session:
        scan = Scan(started_at=started, finished_at=started, status="partial", brands=["bhxh-binh-duong"])
        session.add(scan)
        session.flush()
        for source, status, error in [
            ("duckduckgo", "failed", "https://html.duckduckgo.com/html/: connection failed"),
            ("domains", "partial", "2899 of 7318 look-ups unanswered (timeout 2899)"),
            ("crtsh", "skipped", "disabled"),
        ]:
            session.add(
                SourceRun(
                    scan_id=scan.id,
                    brand="bhxh-binh-duong",
                    source=source,
                    status=status,
                    error=error,
                    started_at=started,
                    finished_at=started,
                )
            )
    engine.dispose()
    env = {"MONITOR_DATABASE__URL": db_url}
    code, output = invoke("--config", str(config), "status", env=env)
    assert code == 0, output
    for words in (
        "Bắt đầu",
        "Nguồn",
        "01/12/2026 08:30",
        "một phần",
        "không kết nối được",
        "2899/7318 lượt tra cứu DNS không có trả lời (quá thời gian 2899)",
        "đã tắt",
        "Tên miền (DNS)",
    ):
        assert words in output
    for leak in ("connection failed", "look-ups unanswered", "disabled", "partial", "#None"):
        assert leak not in output
    code, english = invoke("--config", str(config), "--lang", "en", "status", env=env)
    assert code == 0, english
    assert "connection failed" in english
    assert "Started" in english


def test_one_time_format_for_people_and_one_for_programs() -> None:
    moment = datetime(2026, 12, 1, 1, 30, 15, 123456, tzinfo=UTC)
    assert local_time(moment) == "01/12/2026 08:30"
    assert local_time(moment, "Not/AZone") == "01/12/2026 08:30"
    assert local_time(None) == ""
    assert local_time(None, "Asia/Ho_Chi_Minh", "—") == "—"
    assert local_time(moment.replace(tzinfo=None)) == "01/12/2026 08:30"
    assert machine_time(moment) == "2026-12-01T01:30:15.123456+00:00"
    assert machine_time(moment.replace(tzinfo=None)) == "2026-12-01T01:30:15.123456+00:00"
    assert machine_time(None) is None


@pytest.mark.parametrize(
    ("codes", "table"),
    [
        (Verdict, VERDICTS),
        (Status, STATUSES),
        (Triage, TRIAGE),
        (EventKind, EVENTS),
        (RunStatus, RUN_STATUS),
        (PageState, PAGE_STATES),
    ],
)
def test_every_code_has_its_words_once(codes: object, table: dict[str, tuple[str, str]]) -> None:
    """One vocabulary: each code of monitor.diff / page_state has exactly one pair of words, and no word
    table names a code nothing can produce."""
    assert set(get_args(codes)) == set(table)
    for vietnamese, english in table.values():
        assert vietnamese.strip()
        assert english.strip()


def test_officers_record_every_decision_but_untriaged() -> None:
    assert set(TRIAGE_ACTIONS) == set(get_args(Triage)) - {"untriaged"}
    assert set(get_args(Triage)) >= SILENCING_TRIAGE | NOT_REPORTED
    assert set(get_args(SourceStatus)) | set(get_args(ScanStatus)) == set(get_args(RunStatus))
