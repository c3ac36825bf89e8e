"""What `monitor scan` says and returns when another live process is scanning the same brands."""

from __future__ import annotations

import sys
from typing import NoReturn

import click

from monitor.display import json_text
from monitor.errors import ScanBusyError
from monitor.i18n import Language, tr

# EX_TEMPFAIL: nothing is wrong, try again later (or pass --wait).
SCAN_BUSY_EXIT = 75


def holder_text(holder: str, lang: Language) -> str:
    """`host:pid:token` as a reader wants it: where and which process."""
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    if not pid:
        return tr("không rõ tiến trình", "unknown process", lang)
    return tr(f"máy {host}, tiến trình {pid}", f"host {host}, process {pid}", lang)


def busy_message(error: ScanBusyError, lang: Language) -> str:
    brands = ", ".join(sorted(error.holders))
    holders = "; ".join(sorted({holder_text(h, lang) for h in error.holders.values()}))
    return tr(
        f"Không quét: thương hiệu {brands} đang được một tiến trình khác quét ({holders}). "
        "Hãy chạy lại khi lượt quét đó kết thúc, hoặc thêm --wait để chờ.",
        f"Not scanning: {brands} is being scanned by another process ({holders}). "
        "Run again when that scan ends, or add --wait to wait for it.",
        lang,
    )


def refuse_busy(error: ScanBusyError, lang: Language, as_json: bool) -> NoReturn:
    """One clear line on stderr (and a JSON object on stdout with --json), then exit 75."""
    if as_json:
        click.echo(json_text({"error": "scan_busy", "holders": error.holders}))
    click.echo(busy_message(error, lang), err=True)
    sys.exit(SCAN_BUSY_EXIT)
