"""web findings by domain

Revision ID: e2c3d4e5f6a7
Revises: d1b2c3d4e5f6
Create Date: 2026-12-02 08:30:00.000000

Website findings used to be keyed by host and path (`web:site.vn/a`, `web:site.vn/b`); they are
now keyed by registrable domain (`web:site.vn`), as look-alike domains already were. Every
`web:` finding gets its new key; where one brand has several rows for one key, the oldest is
kept and takes the others' observations, captures, notifications and triage events, the
strongest verdict, the earliest first sighting and the latest last sighting. Allowlist entries
are re-keyed the same way. Downgrade is a no-op: merged rows cannot be split again, and the
old code reads the merged rows as findings like any other.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

# The same function the scanner keys websites with, so migrated keys are the ones scans find.
from monitor.result_hosts import web_key_of_identity

revision: str = "e2c3d4e5f6a7"
down_revision: str | None = "d1b2c3d4e5f6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_VERDICT_RANK = {"impersonation": 3, "suspect": 2, "clear": 1}

findings = sa.table(
    "findings",
    sa.column("id", sa.Integer()),
    sa.column("brand", sa.String()),
    sa.column("identity", sa.String()),
    sa.column("url", sa.Text()),
    sa.column("name", sa.Text()),
    sa.column("score", sa.Integer()),
    sa.column("verdict", sa.String()),
    sa.column("reasons", sa.JSON()),
    sa.column("signals", sa.JSON()),
    sa.column("status", sa.String()),
    sa.column("triage", sa.String()),
    sa.column("sources", sa.JSON()),
    sa.column("content_hash", sa.String()),
    sa.column("misses", sa.Integer()),
    sa.column("first_seen_at", sa.DateTime(timezone=True)),
    sa.column("last_seen_at", sa.DateTime(timezone=True)),
    sa.column("last_changed_at", sa.DateTime(timezone=True)),
)
triage_events = sa.table(
    "triage_events",
    sa.column("finding_id", sa.Integer()),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
allowlist = sa.table(
    "allowlist",
    sa.column("id", sa.Integer()),
    sa.column("brand", sa.String()),
    sa.column("identity", sa.String()),
)
# Tables whose rows point at a finding and follow it to the kept one.
_REFERENCES = ("observations", "captures", "notifications", "triage_events")


def upgrade() -> None:
    bind = op.get_bind()
    rows = [
        dict(r._mapping) for r in bind.execute(sa.select(findings).where(findings.c.identity.like("web:%")))
    ]
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in rows:
        key = web_key_of_identity(row["identity"])
        if key is not None:
            groups.setdefault((row["brand"], key), []).append(row)
    renames: list[tuple[int, str, dict[str, Any]]] = []
    for (_brand, key), group in groups.items():
        group.sort(key=lambda r: (r["first_seen_at"], r["id"]))
        kept, others = group[0], group[1:]
        values = _merged(bind, group) if others else {}
        if others or kept["identity"] != key:
            renames.append((kept["id"], key, values))
        other_ids = [r["id"] for r in others]
        if not other_ids:
            continue
        for name in _REFERENCES:
            table = sa.table(name, sa.column("finding_id", sa.Integer()))
            bind.execute(
                table.update().where(table.c.finding_id.in_(other_ids)).values(finding_id=kept["id"])
            )
        bind.execute(findings.delete().where(findings.c.id.in_(other_ids)))
    # Renamed after every delete: a new key may be the old key of a row merged away above.
    for finding_id, key, values in renames:
        bind.execute(findings.update().where(findings.c.id == finding_id).values(identity=key, **values))
    _rekey_allowlist(bind)


def _merged(bind: sa.Connection, group: list[dict[str, Any]]) -> dict[str, Any]:
    """The kept row's new state: the strongest judgement, the widest time span, every source."""
    strongest = max(group, key=lambda r: (_VERDICT_RANK.get(r["verdict"], 0), r["score"], -r["id"]))
    active = [r for r in group if r["status"] == "active"]
    latest = max(group, key=lambda r: (r["last_seen_at"], r["id"]))
    sources = sorted({str(s) for r in group for s in (r["sources"] or [])})
    return {
        "url": strongest["url"],
        "name": strongest["name"],
        "score": max(r["score"] for r in group),
        "verdict": strongest["verdict"],
        "reasons": strongest["reasons"],
        "signals": strongest["signals"],
        "content_hash": strongest["content_hash"],
        "sources": sources,
        "first_seen_at": min(r["first_seen_at"] for r in group),
        "last_seen_at": latest["last_seen_at"],
        "last_changed_at": max(r["last_changed_at"] for r in group),
        # Seen live on any path: the site is live.
        "status": "active" if active else latest["status"],
        "misses": min(r["misses"] for r in (active or group)),
        "triage": _merged_triage(strongest, _latest_triage(bind, group)),
    }


def _merged_triage(strongest: dict[str, Any], latest: str) -> str:
    """The decision on the row whose judgement the merged finding keeps; another path's decision
    only when it does not silence an impersonation nobody dismissed (a dismissed legitimate page
    on the same domain must not hide the fake one)."""
    if strongest["triage"] != "untriaged":
        return str(strongest["triage"])
    if latest in ("dismissed", "official") and strongest["verdict"] == "impersonation":
        return "untriaged"
    return latest


def _latest_triage(bind: sa.Connection, group: list[dict[str, Any]]) -> str:
    """The triage of the row an officer decided on last; the oldest row's when nobody decided."""
    ids = [r["id"] for r in group]
    last = bind.execute(
        sa.select(triage_events.c.finding_id)
        .where(triage_events.c.finding_id.in_(ids))
        .order_by(triage_events.c.created_at.desc())
        .limit(1)
    ).scalar()
    decided = [r for r in group if r["id"] == last] or [r for r in group if r["triage"] != "untriaged"]
    return str((decided or group)[0]["triage"])


def _rekey_allowlist(bind: sa.Connection) -> None:
    rows = bind.execute(
        sa.select(allowlist.c.id, allowlist.c.brand, allowlist.c.identity)
        .where(allowlist.c.identity.like("web:%"))
        .order_by(allowlist.c.id)
    ).all()
    seen: dict[tuple[str, str], int] = {}
    renames: list[tuple[int, str]] = []
    for entry_id, brand, identity in rows:
        key = web_key_of_identity(identity)
        if key is None:
            continue
        if (brand, key) in seen:
            bind.execute(allowlist.delete().where(allowlist.c.id == entry_id))
            continue
        seen[(brand, key)] = entry_id
        if key != identity:
            renames.append((entry_id, key))
    for entry_id, key in renames:
        bind.execute(allowlist.update().where(allowlist.c.id == entry_id).values(identity=key))


def downgrade() -> None:
    # Deliberately nothing: merged findings cannot be split back into one row per path, and
    # the previous code works with domain-keyed rows (it only files new paths as new rows).
    pass
