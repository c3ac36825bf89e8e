"""ORM models of the job queue's own state: the parts of a queued scan, their leads, work shared
by brands within one scan, and the start times that keep every host's politeness across workers.

Procrastinate's own tables (jobs, locks, periodic deferrals, workers) are applied by the same
migration on PostgreSQL; these live beside them and on SQLite too (they stay empty there).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from monitor.store.schema import Base, utcnow


class ScanPart(Base):
    """One job-sized part of a queued scan: a brand's discoverer (`discover:<keys>`) or its judgement
    (`judge`). `state`: waiting | done. What a discoverer's absences prove is kept for the judgement."""

    __tablename__ = "scan_parts"
    __table_args__ = (UniqueConstraint("scan_id", "brand", "part"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scan_id: Mapped[int] = mapped_column(ForeignKey("scans.id", ondelete="CASCADE"), index=True)
    brand: Mapped[str] = mapped_column(String(64))
    part: Mapped[str] = mapped_column(String(128))
    state: Mapped[str] = mapped_column(String(16), default="waiting")
    unchecked: Mapped[list[str]] = mapped_column(JSON, default=list)
    clean: Mapped[list[str]] = mapped_column(JSON, default=list)
    # What the judgement found for the brand: events, candidates, pages (the scan sums them).
    outcome: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ScanLead(Base):
    """A lead one discovery part emitted, kept until the brand's judgement reads it."""

    __tablename__ = "scan_leads"
    __table_args__ = (Index("ix_scan_leads_scan_brand", "scan_id", "brand"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scan_id: Mapped[int] = mapped_column(ForeignKey("scans.id", ondelete="CASCADE"))
    brand: Mapped[str] = mapped_column(String(64))
    part: Mapped[str] = mapped_column(String(128))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)


class SharedResult(Base):
    """Work several brands of one scan need (a query's results, a name's DNS answer), done once:
    the first to claim it computes it, the others wait for `state` done (or take over a stale claim)."""

    __tablename__ = "shared_results"
    __table_args__ = (UniqueConstraint("scan_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scan_id: Mapped[int] = mapped_column(ForeignKey("scans.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(512))
    state: Mapped[str] = mapped_column(String(16), default="running")
    owner: Mapped[str] = mapped_column(String(128))
    claimed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    payload: Mapped[Any] = mapped_column(JSON, nullable=True)


class HostTurn(Base):
    """When a request to a host last started, whichever worker sent it (the politeness clock). A
    start in the future is a hold: a worker has the turn for a request not yet on the wire."""

    __tablename__ = "host_turns"

    host: Mapped[str] = mapped_column(String(255), primary_key=True)
    last_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def ours(obj: object, name: str | None, kind: str, reflected: bool, compare_to: object) -> bool:
    """Alembic's include_object: procrastinate's own tables, indexes and types are not our models."""
    table = getattr(obj, "table", None)
    owner = getattr(table, "name", None) or name or ""
    return not str(owner).startswith("procrastinate") and not (name or "").startswith("procrastinate")
