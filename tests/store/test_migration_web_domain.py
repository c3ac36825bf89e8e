"""Migration e2c3d4e5f6a7: website findings keyed by path are merged into one per registrable domain."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from monitor.store.db import downgrade, make_engine, upgrade

REPO = Path(__file__).resolve().parents[2]

BEFORE = "d1b2c3d4e5f6"
REVISION = "e2c3d4e5f6a7"


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    try:
        upgrade(engine, BEFORE)
        yield engine
    finally:
        engine.dispose()


def _ts(engine: Engine, day: int) -> str:
    # SQLite keeps naive UTC text; PostgreSQL a timestamptz.
    suffix = "" if engine.dialect.name == "sqlite" else "+00:00"
    return f"2026-11-{day:02d} 08:00:00{suffix}"


def _day(value: Any) -> int:
    stamp = datetime.fromisoformat(value) if isinstance(value, str) else value
    return int(stamp.astimezone(UTC).day if stamp.tzinfo else stamp.day)


# id, brand, identity, verdict, score, status, triage, sources, misses, first day, last day
FINDINGS = [
    (1, "b", "web:fake.vn/a", "suspect", 50, "gone", "untriaged", ["brave"], 3, 1, 5),
    (2, "b", "web:fake.vn/b", "impersonation", 80, "active", "untriaged", ["duckduckgo"], 0, 3, 20),
    (3, "b", "web:fake.vn", "clear", 10, "gone", "untriaged", ["domains"], 2, 10, 15),
    (4, "b", "web:www.other.vn/x/y", "suspect", 40, "active", "untriaged", ["brave"], 0, 2, 2),
    (5, "c", "web:tra-cuu.fake.vn/c", "suspect", 45, "active", "untriaged", ["brave"], 0, 4, 4),
    (6, "b", "facebook:page:fakevn", "impersonation", 90, "active", "untriaged", ["brave"], 0, 1, 1),
    (7, "b", "web:sites.google.com/view/gia/lien-he", "suspect", 30, "active", "untriaged", [], 0, 1, 1),
    (8, "b", "web:sites.google.com/view/khac", "suspect", 30, "active", "untriaged", [], 0, 1, 1),
    (9, "b", "web:fake.vn:8080/d", "suspect", 20, "active", "confirmed", ["brave"], 0, 6, 6),
]


def _seed(engine: Engine) -> None:
    with engine.begin() as conn:
        for fid, brand, ident, verdict, score, status, triage, sources, misses, first, last in FINDINGS:
            conn.execute(
                text(
                    "INSERT INTO findings (id, brand, platform, identity, url, name, score, verdict,"
                    " reasons, signals, status, triage, sources, misses, first_seen_at, last_seen_at,"
                    " last_changed_at) VALUES (:id, :brand, :platform, :identity, :url, :name, :score,"
                    " :verdict, :reasons, '[]', :status, :triage, :sources, :misses, :first, :last, :last)"
                ),
                {
                    "id": fid,
                    "brand": brand,
                    "platform": ident.split(":", 1)[0],
                    "identity": ident,
                    "url": f"https://{ident.split(':', 1)[1]}",
                    "name": f"name {fid}",
                    "score": score,
                    "verdict": verdict,
                    "reasons": json.dumps([{"code": f"r{fid}"}]),
                    "status": status,
                    "triage": triage,
                    "sources": json.dumps(sources),
                    "misses": misses,
                    "first": _ts(engine, first),
                    "last": _ts(engine, last),
                },
            )
        for oid, fid in [(1, 1), (2, 2), (3, 3), (4, 2), (5, 6)]:
            conn.execute(
                text(
                    "INSERT INTO observations (id, finding_id, observed_at, event, name, url, score, verdict,"
                    " reasons, signals, sources) VALUES (:id, :fid, :at, 'new', 'n', 'u', 1, 'suspect',"
                    " '[]', '[]', '[]')"
                ),
                {"id": oid, "fid": fid, "at": _ts(engine, 1)},
            )
        conn.execute(
            text(
                "INSERT INTO evidence_blobs (sha256, size, stored_size, created_at) VALUES ('ab', 1, 1, :at)"
            ),
            {"at": _ts(engine, 1)},
        )
        conn.execute(
            text(
                "INSERT INTO captures (id, sha256, finding_id, url, final_url, status, headers, robots,"
                " first_fetched_at, last_fetched_at, fetch_count) VALUES (1, 'ab', 3, 'u', 'u', 200, '{}',"
                " 'allowed', :at, :at, 1)"
            ),
            {"at": _ts(engine, 1)},
        )
        conn.execute(
            text(
                "INSERT INTO notifications (id, dedupe_key, kind, channel, brand, finding_id, observation_id,"
                " recipients, status, attempts, created_at) VALUES (1, 'k1', 'alert', 'email', 'b', 2, 2,"
                " '[]', 'sent', 1, :at)"
            ),
            {"at": _ts(engine, 1)},
        )
        conn.execute(
            text(
                "INSERT INTO triage_events (id, finding_id, action, created_at)"
                " VALUES (1, 9, 'confirmed', :at)"
            ),
            {"at": _ts(engine, 7)},
        )
        for aid, ident in [
            (1, "web:fake.vn/a"),
            (2, "web:fake.vn/b"),
            (3, "web:sites.google.com/view/gia/x"),
        ]:
            conn.execute(
                text(
                    "INSERT INTO allowlist (id, brand, platform, identity, created_at)"
                    " VALUES (:id, 'b', 'web', :identity, :at)"
                ),
                {"id": aid, "identity": ident, "at": _ts(engine, 1)},
            )


def _rows(engine: Engine, sql: str) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(text(sql)))


def test_web_findings_are_merged_by_domain(engine: Engine) -> None:
    _seed(engine)
    assert upgrade(engine, REVISION) == REVISION
    found = {
        r.id: r
        for r in _rows(
            engine,
            "SELECT id, brand, identity, name, url, verdict, score, status, triage, sources, misses,"
            " reasons, first_seen_at, last_seen_at FROM findings",
        )
    }
    assert {(r.brand, r.identity) for r in found.values()} == {
        ("b", "web:fake.vn"),
        ("b", "web:other.vn"),
        ("c", "web:fake.vn"),
        ("b", "facebook:page:fakevn"),
        ("b", "web:sites.google.com/view/gia"),
        ("b", "web:sites.google.com/view/khac"),
    }
    # The oldest row of b/fake.vn is kept; the others are gone.
    assert set(found) == {1, 4, 5, 6, 7, 8}
    kept = found[1]
    assert kept.identity == "web:fake.vn"
    assert (kept.verdict, kept.score, kept.name, kept.url) == (
        "impersonation",
        80,
        "name 2",
        "https://fake.vn/b",
    )
    reasons = kept.reasons if isinstance(kept.reasons, list) else json.loads(kept.reasons)
    assert reasons == [{"code": "r2"}]
    assert (_day(kept.first_seen_at), _day(kept.last_seen_at)) == (1, 20)
    assert (kept.status, kept.misses) == ("active", 0)
    assert kept.triage == "confirmed"  # the officer's decision on the :8080 path carries over
    sources = kept.sources if isinstance(kept.sources, list) else json.loads(kept.sources)
    assert sources == ["brave", "domains", "duckduckgo"]
    # A single row is re-keyed and otherwise untouched.
    assert (found[4].identity, found[4].verdict, found[4].score) == ("web:other.vn", "suspect", 40)
    assert (found[5].brand, found[5].identity) == ("c", "web:fake.vn")

    observations = {r.id: r.finding_id for r in _rows(engine, "SELECT id, finding_id FROM observations")}
    assert observations == {1: 1, 2: 1, 3: 1, 4: 1, 5: 6}
    assert _rows(engine, "SELECT finding_id FROM captures") == [(1,)]
    assert _rows(engine, "SELECT finding_id, observation_id FROM notifications") == [(1, 2)]
    assert _rows(engine, "SELECT finding_id FROM triage_events") == [(1,)]
    assert sorted(_rows(engine, "SELECT id, identity FROM allowlist")) == [
        (1, "web:fake.vn"),
        (3, "web:sites.google.com/view/gia"),
    ]


def test_upgrade_without_web_rows_and_downgrade_is_a_no_op(engine: Engine) -> None:
    assert upgrade(engine, REVISION) == REVISION
    assert _rows(engine, "SELECT COUNT(*) FROM findings") == [(0,)]
    _seed(engine)
    # Rows written by old code after the upgrade are still fine for a downgrade and a new upgrade.
    downgrade(engine, BEFORE)
    assert _rows(engine, "SELECT COUNT(*) FROM findings") == [(len(FINDINGS),)]
    upgrade(engine, REVISION)
    assert _rows(engine, "SELECT COUNT(*) FROM findings") == [(6,)]


def _merged_triage() -> Any:
    path = REPO / "migrations" / "versions" / "20261202_e2c3d4e5f6a7_web_findings_by_domain.py"
    spec = importlib.util.spec_from_file_location("web_by_domain", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module._merged_triage


@pytest.mark.parametrize(
    ("strongest", "latest", "merged"),
    [
        ({"triage": "confirmed", "verdict": "impersonation"}, "dismissed", "confirmed"),
        # A dismissed legitimate path must not silence the fake path on the same domain.
        ({"triage": "untriaged", "verdict": "impersonation"}, "dismissed", "untriaged"),
        ({"triage": "untriaged", "verdict": "impersonation"}, "official", "untriaged"),
        ({"triage": "untriaged", "verdict": "impersonation"}, "reported", "reported"),
        ({"triage": "untriaged", "verdict": "suspect"}, "dismissed", "dismissed"),
    ],
)
def test_merged_triage_never_silences_an_undecided_impersonation(
    strongest: dict[str, str], latest: str, merged: str
) -> None:
    assert _merged_triage()(strongest, latest) == merged
