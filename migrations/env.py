"""Alembic environment: the app's metadata, and the engine the app hands over (or its settings)."""

from __future__ import annotations

from typing import Any

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Engine

from monitor.store.schema import Base, UTCDateTime
from monitor.store.schema_queue import ours

target_metadata = Base.metadata
# The advisory lock key that serialises migrations of one PostgreSQL database.
MIGRATION_LOCK = 7_261_202_001


def _engine() -> Engine:
    engine = context.config.attributes.get("engine")
    if engine is not None:
        return engine  # type: ignore[no-any-return]
    # Plain `alembic` command line: use the configured database.
    from monitor.settings import load_settings
    from monitor.store.db import make_engine

    return make_engine(load_settings().database.url)


def render_item(kind: str, obj: Any, autogen: AutogenContext) -> str | bool:
    """Write the app's column types as plain SQLAlchemy types, so revisions import nothing of ours."""
    if kind == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations_online() -> None:
    engine = _engine()
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            render_item=render_item,
            include_object=ours,
        )
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                # Processes starting together (a scheduler and its workers) migrate one at a time;
                # the others then find the database at head. Released with the transaction.
                connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `monitor db upgrade`")
run_migrations_online()
