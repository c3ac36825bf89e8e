"""delivery retry rounds wait without the delivery lock

Revision ID: a7b8c9d0e1f2
Revises: d6e7f8a9b0c1
Create Date: 2026-12-03 07:45:00.000000

A failed alert's later delivery round used to be deferred holding the `deliver` lock; procrastinate
holds back every younger job of a lock behind an older waiting one, even one scheduled hours
ahead, so such a round blocked the deliveries asked for meanwhile. Rounds now deferred for later
are lock-free wake-ups; the rounds an earlier version left waiting lose their lock here (the
outbox's claim keeps an alert from being sent twice by rounds that meet). PostgreSQL with the job
queue only; downgrade leaves them as they are.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a7b8c9d0e1f2"
down_revision: str | None = "d6e7f8a9b0c1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    if bind.execute(sa.text("SELECT to_regclass('procrastinate_jobs') IS NOT NULL")).scalar_one() is not True:
        return
    bind.execute(
        sa.text(
            "UPDATE procrastinate_jobs SET lock = NULL"
            " WHERE task_name = 'monitor.deliver' AND queueing_lock = 'deliver-later' AND status = 'todo'"
        )
    )


def downgrade() -> None:
    pass
