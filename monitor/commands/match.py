"""`monitor match`: score names against a brand, one output line per input line."""

from __future__ import annotations

import gc
import re
import sys
from collections.abc import Iterator
from functools import lru_cache
from typing import BinaryIO

import click

from monitor.commands.context import CliContext, pass_cli
from monitor.display import _json_escape, _json_unsafe, json_text
from monitor.i18n import Language, tr
from monitor.matching import BrandProfile, Matcher, MatchResult, Reason
from monitor.notify.texts import VERDICTS

BATCH = 10_000
BATCH_BYTES = 1 << 18
_HEADS = 10_000
# Lone surrogates (undecodable bytes in argv) cannot go out as UTF-8.
_UNPRINTABLE = re.compile(r"[\ud800-\udfff]")


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
        try:
            # A batch of UTF-8 lines decodes at once; any other batch line by line.
            text = b"".join(lines).decode("utf-8")
        except UnicodeDecodeError:
            yield [_decode(line) for line in lines]
            continue
        batch = text.split("\n")
        if batch[-1] == "":
            batch.pop()  # the break ending the last line
        yield [line.rstrip("\r\n") if line.endswith("\r") else line for line in batch]


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


@lru_cache(maxsize=1)
def _controls() -> re.Pattern[str]:
    """What plain lines write as \\uXXXX escapes, as JSON does: C0 and C1 controls (tab and line
    breaks too, so one input stays one line), format and bidi characters, line separators."""
    body = _json_unsafe().pattern
    inner = body[1:-1] if body.startswith("[") and body.endswith("]") else body
    return re.compile(f"[\\x00-\\x1f{inner}]")


def _safe(text: str, *, one_line: bool) -> str:
    text = _UNPRINTABLE.sub("\ufffd", text)
    # A terminal shown the plain output must not run escape sequences or reorder a line.
    return _controls().sub(_json_escape, text) if one_line else text


def _string(text: str) -> str:
    """A JSON string as json_text writes it; most names need no escape at all."""
    # Printable text holds no control, format, separator or surrogate character.
    if text.isprintable() and '"' not in text and "\\" not in text:
        return '"' + text + '"'
    return json_text(text)


class _Printer:
    """Formats results; the JSON of what many results share (score, verdict, reasons) is built once."""

    def __init__(self, as_json: bool, lang: Language) -> None:
        self.as_json = as_json
        # Plain lines give the verdict in words; JSON keeps the code.
        self.verdicts = {code: pair[1] if lang == "en" else pair[0] for code, pair in VERDICTS.items()}
        # (score, verdict, reasons) -> their JSON members: most names share them with others.
        self._heads: dict[tuple[int, str, tuple[Reason, ...]], str] = {}
        # (verdict, score) -> the start of a plain line.
        self._starts: dict[tuple[str, int], str] = {}

    def lines(self, texts: list[str], results: list[MatchResult]) -> str:
        """The output lines of a batch."""
        if self.as_json:
            return "".join(map(self.line, texts, results))
        # Plain lines, the common case: one expression per name, no call unless text needs escapes.
        starts, start = self._starts, self._start
        return "".join(
            [
                (starts.get((r.verdict, r.score)) or start(r))
                + (t if t.isprintable() else _safe(t, one_line=True))
                + "\n"
                for t, r in zip(texts, results, strict=True)
            ]
        )

    def _start(self, result: MatchResult) -> str:
        verdict = self.verdicts.get(result.verdict, result.verdict)
        start = self._starts[result.verdict, result.score] = f"{verdict}\t{result.score}\t"
        return start

    def line(self, text: str, result: MatchResult) -> str:
        if not text.isprintable():
            text = _safe(text, one_line=not self.as_json)
        if not self.as_json:
            return (self._starts.get((result.verdict, result.score)) or self._start(result)) + text + "\n"
        key = (result.score, result.verdict, result.reasons)
        head = self._heads.get(key)
        if head is None:
            if len(self._heads) >= _HEADS:
                self._heads.clear()
            whole: dict[str, object] = {"score": result.score, "verdict": result.verdict}
            whole["reasons"] = [reason.to_dict() for reason in result.reasons]
            head = self._heads[key] = json_text(whole)[1:-1]
        # The members in MatchResult.to_dict's order. json_text escapes U+2028/2029 and NEL:
        # readers splitting on any line break see one object per line.
        return (
            '{"text": '
            + _string(text)
            + ", "
            + head
            + ', "normalized": '
            + _string(result.normalized)
            + "}\n"
        )


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
    # Start-up builds many objects that hold no cycles and live to the end: the cycle collector
    # waits until they are built, then leaves them out of its walks.
    collecting = gc.isenabled()
    gc.disable()
    try:
        settings = cli.settings()
        brand = settings.brand(slug) if slug else settings.brands[0]
        matcher = Matcher(BrandProfile.from_settings(brand))
    finally:
        if collecting:
            gc.enable()
    gc.freeze()
    printer = _Printer(as_json, cli.lang)
    for batch in _batches(texts, file):
        results = matcher.score_many(batch)
        _write(printer.lines(batch, results))
