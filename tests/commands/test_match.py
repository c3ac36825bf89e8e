"""`monitor match`: one line per input, in order, plain or JSON, from arguments and files."""

from __future__ import annotations

import json
from pathlib import Path

import click
from click.testing import CliRunner

from monitor.commands.context import CliContext
from monitor.commands.match import match_command

CONFIG = Path(__file__).resolve().parents[2] / "config" / "monitor.toml"


@click.group()
@click.option("--config", type=click.Path(path_type=Path), default=None)
@click.pass_context
def root(ctx: click.Context, config: Path | None) -> None:
    ctx.obj = CliContext(config=config, lang="en")


root.add_command(match_command)


def run(*args: str, stdin: bytes | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(root, ["--config", str(CONFIG), "match", *args], input=stdin)
    return result.exit_code, result.stdout


def test_plain_lines_in_input_order() -> None:
    code, out = run("BHXH Bình Dương", "BHXH Bình Định", "Báo Bình Dương")
    assert code == 0
    lines = out.splitlines()
    assert [line.split("\t")[0] for line in lines] == ["impersonation", "clear", "clear"]
    assert [line.split("\t")[2] for line in lines] == ["BHXH Bình Dương", "BHXH Bình Định", "Báo Bình Dương"]
    assert int(lines[0].split("\t")[1]) >= 70


def test_json_lines_carry_the_whole_result() -> None:
    code, out = run("--json", "𝐁𝐇𝐗𝐇 Bình Dương - Hỗ trợ rút BHXH 1 lần")
    assert code == 0
    data = json.loads(out)
    assert list(data) == ["text", "score", "verdict", "reasons", "normalized"]
    assert data["verdict"] == "impersonation"
    assert data["normalized"].startswith("bhxh binh duong")
    assert {r["code"] for r in data["reasons"]} >= {
        "organization_match",
        "location_match",
        "decorated_letters",
    }


def test_file_of_names_keeps_every_line(tmp_path: Path) -> None:
    names = ["BHXH Bình Dương", "", "BHXH Bình Định", "x" * 10_000, "BHXH Bình Dương"]
    path = tmp_path / "names.txt"
    path.write_bytes(
        ("\n".join(names) + "\n").encode() + b"B\xb6o hi\xd3m x\xb7 h\xe9i B\xd7nh D\xad\xacng\n"
    )
    code, out = run("--json", "--file", str(path))
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert [row["text"] for row in rows[:5]] == names
    assert [row["verdict"] for row in rows] == [
        "impersonation",
        "clear",
        "clear",
        "clear",
        "impersonation",
        "impersonation",
    ]
    # The last line is TCVN3 bytes, not UTF-8: read as Latin-1 and repaired.
    assert rows[5]["normalized"] == "bao hiem xa hoi binh duong"


def test_stdin_dash_and_arguments_together() -> None:
    code, out = run("--file", "-", "BHXH BD", stdin="BHXH BĐ\r\nBHXH Bdg\n".encode())
    assert code == 0
    assert [line.split("\t")[0] for line in out.splitlines()] == ["impersonation", "clear", "impersonation"]


def test_hostile_text_stays_on_one_line() -> None:
    code, out = run("a\tb\nc", "\udcff lone")
    assert code == 0
    assert len(out.splitlines()) == 2
    assert "\ufffd" in out


def test_unknown_brand_and_missing_input_fail_clearly() -> None:
    result = CliRunner().invoke(root, ["--config", str(CONFIG), "match", "--brand", "nope", "x"])
    assert result.exit_code != 0
    assert "nope" in str(result.exception)
    code, _ = run()
    assert code == 2


def test_brand_option_selects_the_brand() -> None:
    code, out = run("--brand", "bhxh-binh-duong", "BHXH Bình Dương")
    assert code == 0
    assert out.startswith("impersonation\t")


def test_control_characters_and_huge_names_give_a_result_each(tmp_path: Path) -> None:
    names = ["BHXH\x00 Bình Dương\x07", "\u202egnouD hniB HXHB", "\x85\x9f\x7f", "B" * 10_000 + "\ud800"]
    code, out = run("--json", *names)
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == len(names)
    assert all(row["verdict"] in {"impersonation", "suspect", "clear"} for row in rows)
    assert rows[0]["verdict"] != "clear"
