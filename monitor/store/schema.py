"""ORM models of the store; Alembic migrations in migrations/ create exactly this schema."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime,
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class Scan(Base):
    """One run of the pipeline over one or more brands."""

    __tablename__ = "scans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    finished_at: Mapped[datetime | None]
    # running | ok | partial | failed | interrupted
    status: Mapped[str] = mapped_column(String(16), default="running")
    trigger: Mapped[str] = mapped_column(String(16), default="cli")
    brands: Mapped[list[Any]] = mapped_column(default=list)
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    # host:pid:token of the process running it; the heartbeat is refreshed while it runs, so a
    # scan is only closed as `interrupted` once its owner is gone (store/scan_lock.py).
    owner: Mapped[str | None] = mapped_column(String(255))
    heartbeat_at: Mapped[datetime | None]

    source_runs: Mapped[list[SourceRun]] = relationship(back_populates="scan")


class SourceRun(Base):
    """What one source did for one brand in one scan."""

    __tablename__ = "source_runs"
    __table_args__ = (UniqueConstraint("scan_id", "brand", "source"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scan_id: Mapped[int] = mapped_column(ForeignKey("scans.id", ondelete="CASCADE"), index=True)
    brand: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(32), index=True)
    # running | ok | partial | blocked | failed | skipped
    status: Mapped[str] = mapped_column(String(16), default="running")
    requests: Mapped[int] = mapped_column(Integer, default=0)
    results: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]

    scan: Mapped[Scan] = relationship(back_populates="source_runs")


class Finding(Base):
    """One suspected impersonation: a brand × canonical identity, with its current state."""

    __tablename__ = "findings"
    __table_args__ = (
        UniqueConstraint("brand", "identity"),
        Index("ix_findings_brand_status", "brand", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand: Mapped[str] = mapped_column(String(64))
    platform: Mapped[str] = mapped_column(String(32))
    identity: Mapped[str] = mapped_column(String(512))
    url: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    score: Mapped[int] = mapped_column(Integer)
    verdict: Mapped[str] = mapped_column(String(16))
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    signals: Mapped[list[Any]] = mapped_column(default=list)
    # active | gone | taken_down
    status: Mapped[str] = mapped_column(String(16), default="active")
    # untriaged | confirmed | dismissed | reported | taken_down | official
    triage: Mapped[str] = mapped_column(String(16), default="untriaged")
    # Sources that have ever found it: only their clean runs count as misses.
    sources: Mapped[list[Any]] = mapped_column(default=list)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    misses: Mapped[int] = mapped_column(Integer, default=0)
    # The last attempt to read its page: read | gone | blocked | timeout | ... (monitor.page_state);
    # the note says why it was not read (reason code, HTTP status, URL asked).
    page_state: Mapped[str | None] = mapped_column(String(24))
    page_note: Mapped[str | None] = mapped_column(Text)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_changed_at: Mapped[datetime] = mapped_column(default=utcnow)

    observations: Mapped[list[Observation]] = relationship(
        back_populates="finding", order_by="Observation.id"
    )


class Observation(Base):
    """Append-only history: what a scan saw of a finding when something about it changed."""

    __tablename__ = "observations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("findings.id", ondelete="CASCADE"), index=True)
    scan_id: Mapped[int | None] = mapped_column(ForeignKey("scans.id", ondelete="SET NULL"), index=True)
    observed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # new | changed | gone | taken_down | reappeared | triage
    event: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(Text)
    score: Mapped[int] = mapped_column(Integer)
    verdict: Mapped[str] = mapped_column(String(16))
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    signals: Mapped[list[Any]] = mapped_column(default=list)
    sources: Mapped[list[Any]] = mapped_column(default=list)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    evidence_sha256: Mapped[str | None] = mapped_column(String(64))

    finding: Mapped[Finding] = relationship(back_populates="observations")


class EvidenceBlob(Base):
    """A fetched response body, stored once by its SHA-256 (the file lives under evidence.dir)."""

    __tablename__ = "evidence_blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    stored_size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Capture(Base):
    """Where and when a blob was fetched; one row per URL × content, refreshed on re-fetch."""

    __tablename__ = "captures"
    __table_args__ = (UniqueConstraint("url", "sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("evidence_blobs.sha256"), index=True)
    finding_id: Mapped[int | None] = mapped_column(ForeignKey("findings.id", ondelete="SET NULL"), index=True)
    url: Mapped[str] = mapped_column(Text)
    final_url: Mapped[str] = mapped_column(Text)
    status: Mapped[int] = mapped_column(Integer)
    headers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    robots: Mapped[str] = mapped_column(String(16))
    first_fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
    fetch_count: Mapped[int] = mapped_column(Integer, default=1)


class Notification(Base):
    """Something sent (or to be sent) once: an alert for a finding event or a digest period."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Unique business key, e.g. "alert:email:observation:42" or "digest:bhxh-binh-duong:<period end>".
    dedupe_key: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # alert | digest
    # email | webhook | apprise:<8 hex> | zalo:<8 hex> | a digest summary's channel (monitor.notify.channels)
    channel: Mapped[str] = mapped_column(String(16))
    brand: Mapped[str] = mapped_column(String(64))
    finding_id: Mapped[int | None] = mapped_column(ForeignKey("findings.id", ondelete="SET NULL"))
    observation_id: Mapped[int | None] = mapped_column(ForeignKey("observations.id", ondelete="SET NULL"))
    period_start: Mapped[datetime | None]
    period_end: Mapped[datetime | None]
    recipients: Mapped[list[Any]] = mapped_column(default=list)
    subject: Mapped[str | None] = mapped_column(Text)
    # pending | sending (claimed by one process; sent_at holds the claim time) | sent | failed
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    # A failed delivery is not tried again before this time (backoff); None: at once.
    next_attempt_at: Mapped[datetime | None]


class TriageEvent(Base):
    """An officer's decision about a finding."""

    __tablename__ = "triage_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("findings.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AllowlistEntry(Base):
    """An identity an officer marked official: never a finding again for that brand."""

    __tablename__ = "allowlist"
    __table_args__ = (UniqueConstraint("brand", "identity"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand: Mapped[str] = mapped_column(String(64))
    platform: Mapped[str] = mapped_column(String(32))
    identity: Mapped[str] = mapped_column(String(512))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DaemonState(Base):
    """The scheduler's lease and heartbeat: one active daemon per database, the others stand by."""

    __tablename__ = "daemon_state"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(255))
    # running | standby | stopped
    state: Mapped[str] = mapped_column(String(16), default="stopped")
    acquired_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    next_runs: Mapped[dict[str, Any]] = mapped_column(default=dict)


class BrandLock(Base):
    """Which process is scanning a brand: one scan per brand at a time across processes."""

    __tablename__ = "scan_locks"

    brand: Mapped[str] = mapped_column(String(64), primary_key=True)
    # host:pid:token of the holder; NULL when free. A stale heartbeat or a dead holder frees it.
    owner: Mapped[str | None] = mapped_column(String(255))
    scan_id: Mapped[int | None] = mapped_column(ForeignKey("scans.id", ondelete="SET NULL"))
    acquired_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]


class Tip(Base):
    """A URL an officer or a citizen reported: a tracked candidate of source `tip` in every scan."""

    __tablename__ = "tips"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand: Mapped[str] = mapped_column(String(64), index=True)
    url: Mapped[str] = mapped_column(Text)
    # The name the submitter gave (the page's own name is read by the scan when it can be).
    name: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    submitted_by: Mapped[str] = mapped_column(String(128))
    # cli | web | api
    via: Mapped[str] = mapped_column(String(16), default="cli")
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set once a scan has recorded the tip as a finding.
    finding_id: Mapped[int | None] = mapped_column(ForeignKey("findings.id", ondelete="SET NULL"))


# Models kept in their own modules register on Base.metadata when this module is imported.
from monitor.store import schema_accounts, schema_queue, schema_reports  # noqa: E402, F401
