"""ORM models of reports to platforms and authorities, and evidence files attached to findings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from monitor.store.schema import Base, utcnow


class EvidenceFile(Base):
    """A file kept as evidence of a finding besides its fetched pages: a screenshot or an officer's file.

    The bytes live in the evidence archive under their SHA-256 (an `evidence_blobs` row).
    """

    __tablename__ = "evidence_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("findings.id", ondelete="CASCADE"), index=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("evidence_blobs.sha256"), index=True)
    # screenshot (taken by the monitor) | officer (supplied by an officer)
    kind: Mapped[str] = mapped_column(String(16))
    filename: Mapped[str | None] = mapped_column(Text)
    media_type: Mapped[str | None] = mapped_column(String(255))
    # The page a screenshot shows.
    source_url: Mapped[str | None] = mapped_column(Text)
    added_by: Mapped[str | None] = mapped_column(String(128))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Report(Base):
    """A fake reported (or to be reported) through one channel: a form, an authority, Netcraft, an abuse desk.

    status: not_submitted → submitted → waiting → refused | taken_down. Approval is separate:
    nothing is sent by the monitor itself before an officer approves.
    """

    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("finding_id", "channel"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("findings.id", ondelete="CASCADE"), index=True)
    brand: Mapped[str] = mapped_column(String(64), index=True)
    # The channel's key in brands.toml and its kind (authority | platform | registrar | netcraft | ...).
    channel: Mapped[str] = mapped_column(String(64))
    channel_kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="not_submitted", index=True)
    approved_by: Mapped[str | None] = mapped_column(String(128))
    approved_at: Mapped[datetime | None]
    # Set before a machine submission is sent: a crash after sending never sends it twice.
    sending_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    submitted_by: Mapped[str | None] = mapped_column(String(128))
    # Where it went (an e-mail address, an API URL) and the id the channel gave back.
    destination: Mapped[str | None] = mapped_column(Text)
    reference: Mapped[str | None] = mapped_column(String(255))
    # The channel's own state word (Netcraft: processing, malicious, ...).
    remote_state: Mapped[str | None] = mapped_column(String(64))
    answer: Mapped[str | None] = mapped_column(Text)
    next_follow_up_at: Mapped[datetime | None]
    taken_down_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReportEvent(Base):
    """History of a report: each change of status, approval or answer, with who and when."""

    __tablename__ = "report_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    # created | approved | submitted | status | answer | follow_up | taken_down | polled
    action: Mapped[str] = mapped_column(String(16))
    old_status: Mapped[str | None] = mapped_column(String(16))
    new_status: Mapped[str | None] = mapped_column(String(16))
    actor: Mapped[str | None] = mapped_column(String(128))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
