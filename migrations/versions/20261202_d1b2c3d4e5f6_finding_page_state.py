"""finding page state

Revision ID: d1b2c3d4e5f6
Revises: c0a1b2c3d4e5
Create Date: 2026-12-02 08:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d1b2c3d4e5f6"
down_revision: str | None = "c0a1b2c3d4e5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("page_state", sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column("page_note", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.drop_column("page_note")
        batch_op.drop_column("page_state")
