"""`monitor tips add URL`: a tip recorded with its submitter, for the brand asked."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from monitor.cli import cli
from monitor.store.db import open_database, session_factory, session_scope
from monitor.store.tips import TipRepository
from tests.web.conftest import write_config


@pytest.fixture
def config(tmp_path: Path, db_url: str) -> Path:
    write_config(tmp_path / "site", db_url)
    return tmp_path / "site" / "monitor.toml"


def call(config: Path, db_url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), *args], env={"MONITOR_DATABASE__URL": db_url})


def test_add_records_the_tip(config: Path, db_url: str) -> None:
    result = call(
        config,
        db_url,
        "tips",
        "add",
        "https://facebook.com/bhxh.gia",
        "--name",
        "BHXH hỗ trợ",
        "--brand",
        "bhxh-hcm",
        "--by",
        "dân",
    )
    assert result.exit_code == 0, result.output
    assert "Đã ghi nhận tin báo #1 cho bhxh-hcm" in result.output
    engine = open_database(db_url)
    with session_scope(session_factory(engine)) as session:
        tips = TipRepository(session).for_brand("bhxh-hcm")
    engine.dispose()
    assert [(t.url, t.name, t.submitted_by, t.via) for t in tips] == [
        ("https://facebook.com/bhxh.gia", "BHXH hỗ trợ", "dân", "cli")
    ]


@pytest.mark.parametrize(
    "args",
    [
        ["tips", "add", "ftp://x.example/"],
        ["tips", "add", "https://x.example/"],  # two offices: --brand is needed
        ["tips", "add", "https://x.example/", "--brand", "nowhere"],
    ],
)
def test_refusals(config: Path, db_url: str, args: list[str]) -> None:
    assert call(config, db_url, *args).exit_code != 0
