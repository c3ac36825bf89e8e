"""Certificate transparency through crt.sh's JSON output: queries, retries and record parsing.

crt.sh is often slow and answers 5xx or an HTML error page; those are failures (FetchError,
ParseError), never "no certificates". Only a JSON array is an answer, and [] means none.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from monitor.domains.names import to_ascii
from monitor.errors import FetchError, HTTPStatusError, ParseError
from monitor.log import get_logger

if TYPE_CHECKING:
    from monitor.net.client import HttpClient

log = get_logger(__name__)

MAX_NAMES_PER_CERT = 200
_MAX_FIELD = 500


@dataclass(frozen=True)
class CertRecord:
    """One unexpired certificate crt.sh knows of, with the host names it covers."""

    id: int | None
    issuer_name: str
    common_name: str
    names: tuple[str, ...]  # as logged: lower-case, may start with "*."
    not_before: datetime | None
    not_after: datetime | None
    entry_timestamp: datetime | None
    serial_number: str

    def hosts(self) -> list[str]:
        """The valid ASCII host names the certificate covers ("*.x.com" counts as x.com)."""
        found = (to_ascii(name.removeprefix("*.")) for name in (self.common_name, *self.names))
        return list(dict.fromkeys(host for host in found if host))

    def evidence(self) -> dict[str, Any]:
        return {
            "crtsh_id": self.id,
            "issuer": self.issuer_name,
            "common_name": self.common_name,
            "names": list(self.names),
            "not_before": _iso(self.not_before),
            "not_after": _iso(self.not_after),
            "logged_at": _iso(self.entry_timestamp),
            "serial": self.serial_number,
        }


def patterns(keywords: Iterable[str], limit: int) -> list[str]:
    """crt.sh identity patterns ("%bhxh%") for the first `limit` keywords of 4 to 63 letters."""
    words = [w for w in dict.fromkeys(keywords) if 4 <= len(w) <= 63 and w.isascii() and w.isalnum()]
    return [f"%{word}%" for word in words[:limit]]


async def query_crtsh(
    client: HttpClient, url: str, pattern: str, *, attempts: int = 2, backoff: float = 10.0
) -> list[CertRecord]:
    """Unexpired certificates whose identities match `pattern`; FetchError or ParseError on failure.

    The client already retries 5xx answers and dropped connections in quick succession; crt.sh
    overloads last longer, so a failed query is asked again after `backoff` seconds (doubling).
    That wait is the client's: it ends at once, raising Stopped (a FetchError), when the run stops.
    """
    params = {"q": pattern, "output": "json", "exclude": "expired"}
    for attempt in range(max(1, attempts)):
        try:
            response = await client.get(url, params=params, trusted=True, robots=False)
            response.raise_for_status()
            return parse_crtsh(response.json())
        except (ParseError, HTTPStatusError, FetchError) as exc:
            retryable = isinstance(exc, ParseError | HTTPStatusError) and _server_side(exc)
            if attempt + 1 >= attempts or not retryable:
                raise
            delay = backoff * (2**attempt)
            log.info("crtsh_retry", pattern=pattern, attempt=attempt + 1, delay=delay, error=str(exc))
            await client.wait(delay)
    raise FetchError(url, "no attempt made")  # unreachable: the loop returns or raises


def _server_side(exc: Exception) -> bool:
    if isinstance(exc, HTTPStatusError):
        return exc.status >= 500
    return True  # an HTML error page instead of JSON: crt.sh overloaded


def parse_crtsh(payload: Any) -> list[CertRecord]:
    """Records of a crt.sh JSON answer, one per certificate; ParseError when it is not that format."""
    if not isinstance(payload, list):
        raise ParseError(f"crt.sh answer is a JSON {type(payload).__name__}, not an array")
    records: dict[object, CertRecord] = {}
    for row in payload:
        record = _record(row) if isinstance(row, dict) else None
        if record is None:
            continue
        key: object = record.id if record.id is not None else (record.serial_number, record.issuer_name)
        known = records.get(key)
        if known is not None:  # one row per (certificate, identity): merge the names
            names = tuple(dict.fromkeys([*known.names, *record.names]))[:MAX_NAMES_PER_CERT]
            record = replace(known, names=names)
        records[key] = record
    if payload and not records:
        raise ParseError("crt.sh answer has no certificate record")
    return list(records.values())


def _record(row: dict[str, Any]) -> CertRecord | None:
    names_text = row.get("name_value")
    common = _text(row.get("common_name")).lower()
    if not isinstance(names_text, str) and not common:
        return None
    names = [n.strip().lower() for n in names_text.split("\n")] if isinstance(names_text, str) else []
    cert_id = row.get("id")
    return CertRecord(
        id=cert_id if isinstance(cert_id, int) and not isinstance(cert_id, bool) else None,
        issuer_name=_text(row.get("issuer_name")),
        common_name=common,
        names=tuple(dict.fromkeys(n[:253] for n in names if n))[:MAX_NAMES_PER_CERT],
        not_before=_time(row.get("not_before")),
        not_after=_time(row.get("not_after")),
        entry_timestamp=_time(row.get("entry_timestamp")),
        serial_number=_text(row.get("serial_number")),
    )


def _text(value: object) -> str:
    if not isinstance(value, str):
        return ""
    # isprintable() also drops control characters and lone surrogates.
    return "".join(c for c in value[: _MAX_FIELD * 2] if c.isprintable())[:_MAX_FIELD]


def _time(value: object) -> datetime | None:
    """crt.sh times are UTC without a zone ("2023-03-17T16:26:38.016"); None when absent or bad."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
