"""Evidence archive: response bodies stored once by SHA-256 (gzip files) with where/when they came from."""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.display import json_text, zone_of
from monitor.errors import EvidenceError
from monitor.storage_errors import evidence_failure
from monitor.store.evidence_files import EvidenceFileRepository
from monitor.store.schema import Capture, EvidenceBlob
from monitor.store.views import FindingViews

KEPT_HEADERS = (
    "content-type",
    "content-length",
    "content-language",
    "date",
    "last-modified",
    "etag",
    "server",
    "location",
    "x-robots-tag",
)
# Keys per query when a batch is read ahead (well under every driver's parameter limit).
_PRELOAD_CHUNK = 500
_EXTENSIONS = {
    "text/html": "html",
    "application/json": "json",
    "text/plain": "txt",
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/webp": "webp",
    "image/gif": "gif",
    "application/xml": "xml",
}


class Fetched(Protocol):
    """What the archive needs of a response (monitor.net.client.Response has it)."""

    @property
    def url(self) -> str: ...
    @property
    def final_url(self) -> str: ...
    @property
    def status(self) -> int: ...
    @property
    def headers(self) -> Mapping[str, str]: ...
    @property
    def body(self) -> bytes: ...
    @property
    def fetched_at(self) -> datetime: ...
    @property
    def robots(self) -> str: ...


@dataclass(frozen=True)
class Stored:
    sha256: str
    capture_id: int
    new_blob: bool


class EvidenceArchive:
    """Files under `root`, index rows in the caller's session (never commits)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / f"{sha256}.gz"

    def write_ahead(self, response: Fetched) -> None:
        """Write the body's file now, before any transaction is open (then `store_written`):
        gzip and fsync never hold the database's write lock."""
        path = self.path_for(hashlib.sha256(response.body).hexdigest())
        if not path.is_file():
            self._write_file(path, response.body)

    def store(self, session: Session, response: Fetched, finding_id: int | None = None) -> Stored:
        """Archive the body once; record (or refresh) where and when it was fetched."""
        sha256 = hashlib.sha256(response.body).hexdigest()
        new_blob = self._write_blob(session, sha256, response)
        capture = session.scalars(
            select(Capture).where(Capture.url == response.url, Capture.sha256 == sha256)
        ).one_or_none()
        if capture is None:
            capture = _capture(response, sha256, finding_id)
            session.add(capture)
        else:
            _refetched(capture, response, finding_id)
        session.flush()
        return Stored(sha256=sha256, capture_id=capture.id, new_blob=new_blob)

    def store_written(self, session: Session, responses: Sequence[Fetched]) -> list[Stored]:
        """Record answers whose files `write_ahead` wrote, in a few statements for the batch:
        the blobs and captures already known are read together, the new rows flushed together."""
        shas = [hashlib.sha256(response.body).hexdigest() for response in responses]
        known: set[str] = set()
        captures: dict[tuple[str, str], Capture] = {}
        for start in range(0, len(shas), _PRELOAD_CHUNK):
            chunk = set(shas[start : start + _PRELOAD_CHUNK])
            urls = {response.url for response in responses[start : start + _PRELOAD_CHUNK]}
            known.update(session.scalars(select(EvidenceBlob.sha256).where(EvidenceBlob.sha256.in_(chunk))))
            found = session.scalars(select(Capture).where(Capture.sha256.in_(chunk), Capture.url.in_(urls)))
            captures.update(((row.url, row.sha256), row) for row in found)
        fresh: list[bool] = []
        for response, sha256 in zip(responses, shas, strict=True):
            path = self.path_for(sha256)
            if not path.is_file():  # removed since it was written ahead: written again
                self._write_file(path, response.body)
            fresh.append(sha256 not in known)
            if sha256 not in known:
                known.add(sha256)
                media_type = response.headers.get("content-type", "")
                session.add(_blob(sha256, response.body, self._size(path), media_type))
        session.flush()  # the blobs before the captures that name them
        rows: list[Capture] = []
        for response, sha256 in zip(responses, shas, strict=True):
            capture = captures.get((response.url, sha256))
            if capture is None:
                capture = captures[response.url, sha256] = _capture(response, sha256, None)
                session.add(capture)
            else:
                _refetched(capture, response, None)
            rows.append(capture)
        session.flush()
        return [
            Stored(sha256=sha256, capture_id=capture.id, new_blob=new_blob)
            for sha256, capture, new_blob in zip(shas, rows, fresh, strict=True)
        ]

    def store_bytes(self, session: Session, body: bytes, media_type: str | None) -> str:
        """Archive a file that was not fetched (a screenshot, an officer's file) once; its SHA-256."""
        sha256 = hashlib.sha256(body).hexdigest()
        self._write_body(session, sha256, body, media_type)
        session.flush()
        return sha256

    def _write_blob(self, session: Session, sha256: str, response: Fetched) -> bool:
        media_type = response.headers.get("content-type", "")
        return self._write_body(session, sha256, response.body, media_type)

    def _write_body(self, session: Session, sha256: str, body: bytes, media_type: str | None) -> bool:
        path = self.path_for(sha256)
        known = session.get(EvidenceBlob, sha256) is not None
        if known and path.is_file():
            return False
        stored_size = self._write_file(path, body)
        if not known:
            session.add(_blob(sha256, body, stored_size, media_type))
        return not known

    def _size(self, path: Path) -> int:
        try:
            return path.stat().st_size
        except OSError as exc:
            raise evidence_failure(exc, self.root) from exc

    def _write_file(self, path: Path, body: bytes) -> int:
        """Write `body` gzipped at `path`; its size on disk. An OSError names the evidence folder."""
        temp: str | None = None
        try:
            if not path.parent.is_dir():  # a stat: cheaper than mkdir's refusal when it exists
                path.parent.mkdir(parents=True, exist_ok=True)
            # Write then rename, so a crash never leaves a truncated file under the final name.
            with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".tmp") as handle:
                temp = handle.name
                # Level 6: about twice as fast as 9 on large pages, for files barely larger.
                with gzip.GzipFile(fileobj=handle, mode="wb", mtime=0, compresslevel=6) as compressed:
                    compressed.write(body)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, path)
            return path.stat().st_size
        except OSError as exc:
            if temp is not None:
                with suppress(OSError):
                    os.unlink(temp)  # a full disk must not keep half-written files too
            raise evidence_failure(exc, self.root) from exc

    def read(self, sha256: str) -> bytes:
        """The original bytes, verified against their hash."""
        path = self.path_for(sha256)
        try:
            body = gzip.decompress(path.read_bytes())
        except FileNotFoundError as exc:
            raise EvidenceError(f"evidence file missing: {path}") from exc
        except (OSError, EOFError) as exc:
            raise EvidenceError(f"evidence file unreadable: {path}: {exc}") from exc
        if hashlib.sha256(body).hexdigest() != sha256:
            raise EvidenceError(f"evidence file does not match its hash: {path}")
        return body

    def link(
        self, session: Session, capture_id: int, finding_id: int, loaded: Mapping[int, Capture] | None = None
    ) -> None:
        """Name the finding a capture was fetched for, unless it names one already.

        `loaded`: captures read ahead by `preload_captures` (others are read here)."""
        capture = loaded.get(capture_id) if loaded is not None else None
        if capture is None:
            capture = session.get(Capture, capture_id)
        if capture is not None and capture.finding_id is None:
            capture.finding_id = finding_id

    def preload_captures(self, session: Session, capture_ids: Iterable[int]) -> dict[int, Capture]:
        """These captures by id, read in a few queries (for a batch of `link` calls)."""
        wanted = sorted(set(capture_ids))
        found: dict[int, Capture] = {}
        for start in range(0, len(wanted), _PRELOAD_CHUNK):
            chunk = wanted[start : start + _PRELOAD_CHUNK]
            rows = session.scalars(select(Capture).where(Capture.id.in_(chunk)))
            found.update((row.id, row) for row in rows)
        return found

    def captures(self, session: Session, finding_id: int) -> list[Capture]:
        """The archived fetches of a finding's pages, oldest first (none for pages never fetched)."""
        return FindingViews(session).captures(finding_id)

    def export(self, session: Session, finding_id: int, out: Path, tz: str = "Asia/Ho_Chi_Minh") -> Path:
        """Write a finding's archived pages, screenshots and officers' files, SHA256SUMS and manifest.json."""
        # The detail, not the bare view: the manifest keeps the signals the verdict rests on.
        detail = FindingViews(session).detail(finding_id)
        if detail is None:
            raise EvidenceError(f"no finding {finding_id}")
        finding = detail.finding
        captures = self.captures(session, finding_id)
        with _writing(out):
            out.mkdir(parents=True, exist_ok=True)
        zone = zone_of(tz)
        files: dict[str, str] = {}
        entries: list[dict[str, Any]] = []
        for capture in captures:
            name = files.get(capture.sha256)
            if name is None:
                name = f"{capture.sha256}.{_extension(capture.headers)}"
                body = self.read(capture.sha256)
                with _writing(out):
                    (out / name).write_bytes(body)
                files[capture.sha256] = name
            entries.append(
                {
                    "file": name,
                    "sha256": capture.sha256,
                    "url": capture.url,
                    "final_url": capture.final_url,
                    "status": capture.status,
                    "robots": capture.robots,
                    "headers": capture.headers,
                    "first_fetched_at_utc": capture.first_fetched_at.isoformat(),
                    "first_fetched_at_local": capture.first_fetched_at.astimezone(zone).isoformat(),
                    "last_fetched_at_utc": capture.last_fetched_at.isoformat(),
                    "fetch_count": capture.fetch_count,
                }
            )
        manifest = {
            "finding": {
                "id": finding.id,
                "brand": finding.brand,
                "platform": finding.platform,
                "identity": finding.identity,
                "url": finding.url,
                "name": finding.name,
                "verdict": finding.verdict,
                "score": finding.score,
                "reasons": list(finding.reasons),
                "signals": list(detail.signals),
                "first_seen_at_utc": finding.first_seen_at.isoformat(),
                "last_seen_at_utc": finding.last_seen_at.isoformat(),
            },
            "captures": entries,
            "timezone_shown": tz,
        }
        officer_entries = []
        for row in EvidenceFileRepository(session).for_finding(finding_id):
            name = files.get(row.sha256)
            if name is None:
                name = f"{row.sha256}.{_EXTENSIONS.get((row.media_type or '').split(';')[0].strip(), 'bin')}"
                body = self.read(row.sha256)
                with _writing(out):
                    (out / name).write_bytes(body)
                files[row.sha256] = name
            officer_entries.append(
                {
                    "file": name,
                    "sha256": row.sha256,
                    "kind": row.kind,
                    "filename": row.filename,
                    "source_url": row.source_url,
                    "added_by": row.added_by,
                    "note": row.note,
                    "added_at_utc": row.created_at.isoformat(),
                    "added_at_local": row.created_at.astimezone(zone).isoformat(),
                }
            )
        manifest["files"] = officer_entries
        sums = "".join(f"{sha}  {name}\n" for sha, name in sorted(files.items()))
        with _writing(out):
            (out / "manifest.json").write_text(json_text(manifest, indent=2), encoding="utf-8")
            (out / "SHA256SUMS").write_text(sums, encoding="utf-8")
        return out / "manifest.json"


@contextmanager
def _writing(folder: Path) -> Iterator[None]:
    """An OSError while writing under `folder` becomes one EvidenceWriteError naming it."""
    try:
        yield
    except OSError as exc:
        raise evidence_failure(exc, folder) from exc


def _kept(headers: Mapping[str, str]) -> dict[str, str]:
    lowered = {key.lower(): value for key, value in headers.items()}
    return {key: lowered[key][:500] for key in KEPT_HEADERS if key in lowered}


def _extension(headers: Mapping[str, Any]) -> str:
    media = str(headers.get("content-type", "")).split(";")[0].strip().lower()
    return _EXTENSIONS.get(media, "bin")


def _blob(sha256: str, body: bytes, stored_size: int, media_type: str | None) -> EvidenceBlob:
    return EvidenceBlob(
        sha256=sha256, size=len(body), stored_size=stored_size, media_type=(media_type or "")[:255] or None
    )


def _capture(response: Fetched, sha256: str, finding_id: int | None) -> Capture:
    return Capture(
        sha256=sha256,
        finding_id=finding_id,
        url=response.url,
        final_url=response.final_url,
        status=response.status,
        headers=_kept(response.headers),
        robots=response.robots,
        first_fetched_at=response.fetched_at,
        last_fetched_at=response.fetched_at,
        fetch_count=1,
    )


def _refetched(capture: Capture, response: Fetched, finding_id: int | None) -> None:
    """Same URL, same bytes: no new row, only when it was last seen."""
    capture.last_fetched_at = max(capture.last_fetched_at, response.fetched_at)
    capture.fetch_count += 1
    if finding_id is not None and capture.finding_id is None:
        capture.finding_id = finding_id
