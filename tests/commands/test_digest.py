"""`monitor digest` through click: options, output, exit status, and the mail it sends."""

from __future__ import annotations

import email
import email.policy
import shutil
import tomllib
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from sqlalchemy.orm import Session, sessionmaker

from monitor.commands.context import CliContext
from monitor.commands.digest import digest_command, parse_since
from monitor.errors import NotifyError
from monitor.store.db import open_database, session_factory
from monitor.store.schema import utcnow
from tests.notify.helpers import Received, data, scan, smtp_server
from tests.support.loopback import free_port

REPO = Path(__file__).resolve().parents[2]
# The offices of the shipped brands file: the digest goes to each, the seeded scans are Bình Dương's.
OFFICES = {
    brand["slug"]: brand["name"]
    for brand in tomllib.loads((REPO / "config" / "brands.toml").read_text(encoding="utf-8"))["brands"]
}
BINH_DUONG = "Bảo hiểm xã hội tỉnh Bình Dương"


@click.group()
@click.option("--config", type=click.Path(path_type=Path))
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi")
@click.pass_context
def root(ctx: click.Context, config: Path, lang: str) -> None:
    ctx.obj = CliContext(config=config, lang=lang)  # type: ignore[arg-type]


root.add_command(digest_command)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "config", tmp_path / "config")
    return tmp_path


@pytest.fixture
def factory(workdir: Path) -> Iterator[sessionmaker[Session]]:
    engine = open_database(f"sqlite:///{workdir / 'monitor.db'}")
    yield session_factory(engine)
    engine.dispose()


def run(workdir: Path, *args: str, port: int | None = None, lang: str = "vi") -> Result:
    env = {"MONITOR_DATABASE__URL": f"sqlite:///{workdir / 'monitor.db'}"}
    if port is not None:
        env |= {
            "MONITOR_EMAIL__SMTP_HOST": "127.0.0.1",
            "MONITOR_EMAIL__SMTP_PORT": str(port),
            "MONITOR_EMAIL__SECURITY": "none",
            "MONITOR_EMAIL__SENDER": "giamsat@bhxh-bd.example.vn",
            "MONITOR_EMAIL__RECIPIENTS": '["canbo@bhxh-bd.example.vn"]',
            "MONITOR_EMAIL__TIMEOUT": "5",
        }
    config = str(workdir / "config" / "monitor.toml")
    return CliRunner().invoke(root, ["--config", config, "--lang", lang, "digest", *args], env=env)


def seed(factory: sessionmaker[Session]) -> None:
    # Relative to the real clock: the command takes "now" from it.
    start = utcnow() - timedelta(days=2)
    scan(factory, [data()], start)
    scan(factory, [data(), data("facebook:page:b", "BHXH Bình Dương hỗ trợ")], start + timedelta(hours=6))


def office_of(subject: str) -> str:
    """The office a digest's subject names: "[<office name>] …"."""
    assert subject.startswith("[")
    return subject[1:].split("]", 1)[0]


def one_per_office(server_messages: list[Received]) -> dict[str, EmailMessage]:
    """The digests received, by office name; exactly one for each office."""
    by_office = {office_of(str(m.message["Subject"])): m.message for m in server_messages}
    assert len(by_office) == len(server_messages)
    assert set(by_office) == set(OFFICES.values())
    return by_office


def test_sends_once_then_nothing_new(workdir: Path, factory: sessionmaker[Session]) -> None:
    seed(factory)
    with smtp_server() as server:
        first = run(workdir, port=server.port)
        second = run(workdir, port=server.port)
    assert first.exit_code == 0, first.output
    assert (
        "bhxh-binh-duong: đã gửi «[Bảo hiểm xã hội tỉnh Bình Dương] 2 trang/tài khoản mạo danh mới"
        in first.output
    )
    assert second.exit_code == 0, second.output
    assert second.output.count("không có gì mới từ") == len(OFFICES)
    received = one_per_office(server.mailbox.messages)
    assert received[BINH_DUONG].get_body(("html",)) is not None


def test_smtp_down_fails_then_sends_next_run(workdir: Path, factory: sessionmaker[Session]) -> None:
    seed(factory)
    port = free_port()
    down = run(workdir, port=port)
    assert down.exit_code == 1
    assert isinstance(down.exception, NotifyError)
    assert str(down.exception).startswith("không kết nối được máy chủ thư 127.0.0.1:")
    assert "CHƯA gửi được, sẽ thử lại lần sau" in down.output
    with smtp_server(port=port) as server:
        up = run(workdir, port=port)
    assert up.exit_code == 0, up.output
    assert "2 trang/tài khoản mạo danh mới" in str(
        one_per_office(server.mailbox.messages)[BINH_DUONG]["Subject"]
    )


def test_dry_run_prints_the_digest(workdir: Path, factory: sessionmaker[Session]) -> None:
    seed(factory)
    result = run(workdir, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "chạy thử, không gửi" in result.output
    assert "Bản tin giám sát mạo danh — Bảo hiểm xã hội tỉnh Bình Dương" in result.output
    assert "Trang/tài khoản mạo danh mới (2)" in result.output
    # Nothing was recorded: a real run still has the whole period to send.
    with smtp_server() as server:
        assert run(workdir, port=server.port).exit_code == 0
    assert "2 trang/tài khoản mạo danh mới" in str(
        one_per_office(server.mailbox.messages)[BINH_DUONG]["Subject"]
    )


def test_out_file_in_english(workdir: Path, factory: sessionmaker[Session]) -> None:
    seed(factory)
    out = workdir / "digest.eml"
    result = run(workdir, "--out", str(out), "--lang", "en", lang="en")
    assert result.exit_code == 0, result.output
    assert result.output.count("written to a file, not sent") == len(OFFICES)
    # With several offices, one file each: digest-<office>.eml beside the given name.
    assert not out.exists()
    files = {slug: workdir / f"digest-{slug}.eml" for slug in OFFICES}
    parsed = {
        slug: email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for slug, path in files.items()
    }
    assert {slug: office_of(str(message["Subject"])) for slug, message in parsed.items()} == OFFICES
    assert "2 new impersonation(s)" in str(parsed["bhxh-binh-duong"]["Subject"])


def test_since_and_errors(workdir: Path, factory: sessionmaker[Session]) -> None:
    seed(factory)
    bad = run(workdir, "--since", "yesterday")
    assert bad.exit_code == 2
    assert "ISO 8601" in bad.output
    unconfigured = run(workdir)
    assert unconfigured.exit_code == 1
    assert "chưa cấu hình gửi thư" in str(unconfigured.exception)
    with smtp_server() as server:
        since = (utcnow() - timedelta(days=2) + timedelta(hours=3)).isoformat()
        result = run(workdir, "--since", since, port=server.port)
    assert result.exit_code == 0, result.output
    received = one_per_office(server.mailbox.messages)
    # Only the second scan's new finding falls after --since.
    assert "1 trang/tài khoản mạo danh mới" in str(received[BINH_DUONG]["Subject"])


def test_parse_since_reads_local_time() -> None:
    assert parse_since("2026-12-01", "Asia/Ho_Chi_Minh").isoformat() == "2026-12-01T00:00:00+07:00"
    assert parse_since("2026-12-01T07:30Z", "Asia/Ho_Chi_Minh").isoformat() == "2026-12-01T07:30:00+00:00"
    with pytest.raises(click.BadParameter):
        parse_since("01/12/2026", "Asia/Ho_Chi_Minh")
