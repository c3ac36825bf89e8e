"""job queue

Revision ID: d6e7f8a9b0c1
Revises: c5d6e7f8a9b0
Create Date: 2026-12-02 13:00:00.000000

The parts, leads and shared results of scans run as jobs, and the per-host start times that keep
politeness across workers. On PostgreSQL, procrastinate's own schema (jobs, locks, periodic
deferrals, workers) is applied here too, so `monitor db upgrade` is the only step.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d6e7f8a9b0c1"
down_revision: str | None = "c5d6e7f8a9b0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PROCRASTINATE_TABLES = (
    "procrastinate_events",
    "procrastinate_periodic_defers",
    "procrastinate_jobs",
    "procrastinate_workers",
    "procrastinate_version",
)


def upgrade() -> None:
    op.create_table(
        "scan_parts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("scan_id", sa.Integer(), sa.ForeignKey("scans.id", ondelete="CASCADE"), nullable=False),
        sa.Column("brand", sa.String(64), nullable=False),
        sa.Column("part", sa.String(128), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("unchecked", sa.JSON(), nullable=False),
        sa.Column("clean", sa.JSON(), nullable=False),
        sa.Column("outcome", sa.JSON(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("scan_id", "brand", "part"),
    )
    op.create_index("ix_scan_parts_scan_id", "scan_parts", ["scan_id"])
    op.create_table(
        "scan_leads",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("scan_id", sa.Integer(), sa.ForeignKey("scans.id", ondelete="CASCADE"), nullable=False),
        sa.Column("brand", sa.String(64), nullable=False),
        sa.Column("part", sa.String(128), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
    )
    op.create_index("ix_scan_leads_scan_brand", "scan_leads", ["scan_id", "brand"])
    op.create_table(
        "shared_results",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("scan_id", sa.Integer(), sa.ForeignKey("scans.id", ondelete="CASCADE"), nullable=False),
        sa.Column("key", sa.String(512), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("owner", sa.String(128), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.UniqueConstraint("scan_id", "key"),
    )
    op.create_index("ix_shared_results_scan_id", "shared_results", ["scan_id"])
    op.create_table(
        "host_turns",
        sa.Column("host", sa.String(255), primary_key=True),
        sa.Column("last_start", sa.DateTime(timezone=True), nullable=False),
    )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql" and not _has_procrastinate(bind):
        from procrastinate.schema import SchemaManager

        # Run as one script through the driver: it holds % signs and several statements.
        bind.connection.driver_connection.execute(SchemaManager.get_schema())  # type: ignore[union-attr]


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql" and _has_procrastinate(bind):
        for table in PROCRASTINATE_TABLES:
            bind.exec_driver_sql(f"DROP TABLE IF EXISTS {table} CASCADE")
        bind.connection.driver_connection.execute(  # type: ignore[union-attr]
            "DO $$ DECLARE r record; BEGIN "
            "FOR r IN SELECT p.oid::regprocedure AS f FROM pg_proc p "
            "JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate%' "
            "LOOP EXECUTE 'DROP FUNCTION IF EXISTS ' || r.f || ' CASCADE'; END LOOP; "
            "FOR r IN SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
            "WHERE n.nspname = current_schema() AND t.typname LIKE 'procrastinate%' "
            "AND t.typtype IN ('e', 'c') "
            "LOOP EXECUTE 'DROP TYPE IF EXISTS ' || quote_ident(r.typname) || ' CASCADE'; END LOOP; END $$"
        )
    op.drop_table("host_turns")
    op.drop_table("shared_results")
    op.drop_table("scan_leads")
    op.drop_table("scan_parts")


def _has_procrastinate(bind: sa.Connection) -> bool:
    return "procrastinate_jobs" in sa.inspect(bind).get_table_names()
