"""`monitor match`: score names against a brand, one output line per input line."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from typing import BinaryIO

import click

from monitor.commands.context import CliContext, pass_cli
from monitor.display import json_text
from monitor.i18n import Language, tr
from monitor.matching import BrandProfile, Matcher, MatchResult
from monitor.notify.texts import VERDICTS

BATCH = 10_000
BATCH_BYTES = 1 << 20
# Lone surrogates (undecodable bytes in argv) and line breaks cannot go out on one UTF-8 line.
_UNPRINTABLE = re.compile(r"[\ud800-\udfff]")
_BREAKS = re.compile(r"[\t\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


def _decode(raw: bytes) -> str:
    """One input line: UTF-8, else the bytes as Latin-1 so legacy Vietnamese can be repaired."""
    raw = raw.rstrip(b"\r\n")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _batches(texts: tuple[str, ...], handle: BinaryIO | None) -> Iterator[list[str]]:
    """The inputs in order, in batches: the arguments first, then the lines of the file."""
    for start in range(0, len(texts), BATCH):
        yield list(texts[start : start + BATCH])
    if handle is None:
        return
    while lines := handle.readlines(BATCH_BYTES):
        yield [_decode(line) for line in lines]


def _write(chunk: str) -> None:
    """Always UTF-8, whatever the locale says: names are Vietnamese."""
    stream = sys.stdout
    buffer = getattr(stream, "buffer", None)
    if buffer is None:
        stream.write(chunk)
        return
    stream.flush()
    buffer.write(chunk.encode("utf-8", "replace"))
    buffer.flush()


def _safe(text: str, *, one_line: bool) -> str:
    text = _UNPRINTABLE.sub("\ufffd", text)
    return _BREAKS.sub(" ", text) if one_line else text


class _Printer:
    """Formats results; the JSON of a repeated result is built once."""

    def __init__(self, as_json: bool, lang: Language) -> None:
        self.as_json = as_json
        # Plain lines give the verdict in words; JSON keeps the code.
        self.verdicts = {code: pair[1] if lang == "en" else pair[0] for code, pair in VERDICTS.items()}
        # id(result) -> (result, its JSON): repeated names share one result object.
        self._json: dict[int, tuple[MatchResult, str]] = {}

    def line(self, text: str, result: MatchResult) -> str:
        if not text.isprintable():
            text = _safe(text, one_line=not self.as_json)
        if not self.as_json:
            return f"{self.verdicts.get(result.verdict, result.verdict)}\t{result.score}\t{text}\n"
        known = self._json.get(id(result))
        if known is not None and known[0] is result:
            body = known[1]
        else:
            if len(self._json) > 100_000:
                self._json.clear()
            body = json_text(result.to_dict())[1:]
            self._json[id(result)] = (result, body)
        line = '{"text": ' + json_text(text) + ", " + body
        # json_text escapes U+2028/2029 and NEL: readers splitting on any line break see one object per line.
        return line + "\n"


@click.command(
    "match",
    help=tr(
        "Chấm điểm tên (tên trang, tài khoản, tên miền) so với thương hiệu; mỗi dòng vào một dòng ra.",
        "Score names (page names, handles, domains) against a brand; one output line per input.",
    ),
)
@click.option(
    "--brand",
    "slug",
    default=None,
    metavar="SLUG",
    help=tr("Thương hiệu (mặc định: thương hiệu đầu tiên).", "Brand slug (default: the first brand)."),
)
@click.option(
    "--json", "as_json", is_flag=True, help=tr("Mỗi dòng một đối tượng JSON.", "One JSON object per line.")
)
@click.option(
    "--file",
    "file",
    type=click.File("rb"),
    default=None,
    metavar="PATH|-",
    help=tr(
        "Đọc tên từ tệp, mỗi dòng một tên (- là stdin).", "Read names from a file, one per line (- is stdin)."
    ),
)
@click.argument("texts", nargs=-1)
@pass_cli
def match_command(
    cli: CliContext, slug: str | None, as_json: bool, file: BinaryIO | None, texts: tuple[str, ...]
) -> None:
    if not texts and file is None:
        raise click.UsageError(tr("Cần TEXT hoặc --file.", "Give TEXT or --file.", cli.lang))
    settings = cli.settings()
    brand = settings.brand(slug) if slug else settings.brands[0]
    matcher = Matcher(BrandProfile.from_settings(brand))
    printer = _Printer(as_json, cli.lang)
    for batch in _batches(texts, file):
        results = matcher.score_many(batch)
        _write("".join(map(printer.line, batch, results)))
