"""Evidence files repository: screenshots and officers' files attached to findings."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.store.schema_reports import EvidenceFile


class EvidenceFileRepository:
    """Records which archived blob is a screenshot or an officer's file of which finding."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self,
        finding_id: int,
        sha256: str,
        kind: str,
        *,
        filename: str | None = None,
        media_type: str | None = None,
        source_url: str | None = None,
        added_by: str | None = None,
        note: str | None = None,
    ) -> EvidenceFile:
        """One row per (finding, blob, kind): adding the same file again returns the first row."""
        existing = self.session.scalars(
            select(EvidenceFile).where(
                EvidenceFile.finding_id == finding_id,
                EvidenceFile.sha256 == sha256,
                EvidenceFile.kind == kind,
            )
        ).first()
        if existing is not None:
            return existing
        row = EvidenceFile(
            finding_id=finding_id,
            sha256=sha256,
            kind=kind,
            filename=filename,
            media_type=media_type,
            source_url=source_url,
            added_by=added_by,
            note=note,
        )
        self.session.add(row)
        self.session.flush()
        return row

    def for_finding(self, finding_id: int, kind: str | None = None) -> list[EvidenceFile]:
        """A finding's files, oldest first."""
        query = select(EvidenceFile).where(EvidenceFile.finding_id == finding_id)
        if kind is not None:
            query = query.where(EvidenceFile.kind == kind)
        return list(self.session.scalars(query.order_by(EvidenceFile.id)))

    def latest_screenshot(self, finding_id: int) -> EvidenceFile | None:
        return self.session.scalars(
            select(EvidenceFile)
            .where(EvidenceFile.finding_id == finding_id, EvidenceFile.kind == "screenshot")
            .order_by(EvidenceFile.id.desc())
        ).first()
