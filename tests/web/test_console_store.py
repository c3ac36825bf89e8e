"""The console's read models and the accounts repository, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event

from monitor.diff import Change
from monitor.store.accounts import AccountRepository
from monitor.store.console import ConsoleViews, QueueFilter
from monitor.store.db import open_database, session_factory, session_scope
from monitor.store.findings import FindingRepository
from monitor.store.schema_reports import Report, ReportEvent
from monitor.store.tips import TipRepository
from tests.web.conftest import T0, sighting


def _seed(url: str) -> list[int]:
    engine = open_database(url)
    ids: list[int] = []
    with session_scope(session_factory(engine)) as session:
        repo = FindingRepository(session)
        for i in range(30):
            platform = ("facebook", "tiktok", "web")[i % 3]
            data = sighting(
                "bhxh-hcm" if i % 5 == 0 else "bhxh-binh-duong",
                f"{platform}:acct{i}",
                f"BHXH {'CSKH' if i % 4 == 0 else 'hỗ trợ'} 100% _{i}",
                score=40 + i,
                verdict="suspect" if i % 2 else "impersonation",
            )
            finding, _ = repo.apply_sighting(
                Change(data.identity, "new"), data, None, T0 + timedelta(hours=i)
            )
            assert finding is not None
            ids.append(finding.id)
    engine.dispose()
    return ids


def test_queue_filters_counts_and_pages(db_url: str) -> None:
    ids = _seed(db_url)
    engine = open_database(db_url)
    with session_scope(session_factory(engine)) as session:
        views = ConsoleViews(session)
        page = views.queue(QueueFilter(), page=1, per_page=10)
        assert page.total == 30
        assert page.pages == 3
        assert [row.score for row in page.rows] == list(range(69, 59, -1))
        last = views.queue(QueueFilter(), page=3, per_page=10)
        assert [row.id for row in last.rows] == list(reversed(ids[:10]))
        tiktok = QueueFilter(platform="tiktok", verdict="suspect")
        assert views.count(tiktok) == len([i for i in range(30) if i % 3 == 1 and i % 2])
        assert views.matching_ids(QueueFilter(brand="bhxh-hcm", sort="first_seen")) == [
            ids[i] for i in reversed(range(0, 30, 5))
        ]
        # "%" and "_" typed by an officer are letters, not wildcards.
        assert views.count(QueueFilter(text="100%")) == 30
        assert views.matching_ids(QueueFilter(text="_1")) == [
            ids[i] for i in (19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 1)
        ]
        assert views.count(QueueFilter(text="cskh")) == len(range(0, 30, 4))
        assert views.count(QueueFilter(since=T0 + timedelta(hours=10), until=T0 + timedelta(hours=20))) == 10
        assert views.existing_ids([ids[3], 999_999, ids[1]]) == [ids[3], ids[1]]
        assert [f.id for f in views.findings_for_update([ids[2], ids[0]])] == [ids[2], ids[0]]
    engine.dispose()


def test_the_queue_page_takes_two_queries_whatever_the_rows(db_url: str) -> None:
    _seed(db_url)
    engine = open_database(db_url)
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    with session_scope(session_factory(engine)) as session:
        ConsoleViews(session).queue(QueueFilter(), page=1, per_page=50)
    engine.dispose()
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 2


def test_the_timeline_merges_sightings_decisions_and_tips_in_time_order(db_url: str) -> None:
    engine = open_database(db_url)
    factory = session_factory(engine)
    with session_scope(factory) as session:
        repo = FindingRepository(session)
        first = sighting("bhxh-binh-duong", "facebook:page:x", "BHXH giả")
        finding, _ = repo.apply_sighting(Change(first.identity, "new"), first, None, T0)
        assert finding is not None
        tip = TipRepository(session).add(
            "bhxh-binh-duong", "https://facebook.com/x", "dan", now=T0 - timedelta(hours=1)
        )
        TipRepository(session).link([tip.id], finding.id)
        renamed = sighting("bhxh-binh-duong", "facebook:page:x", "BHXH giả 2")
        repo.apply_sighting(Change(renamed.identity, "changed"), renamed, None, T0 + timedelta(days=1))
        repo.apply_absence(
            "bhxh-binh-duong", Change(renamed.identity, "gone", misses=3), None, T0 + timedelta(days=2)
        )
        repo.mark(finding, "reported", "đã gửi", "oanh")
        report = Report(
            finding_id=finding.id,
            brand="bhxh-binh-duong",
            channel="pa05",
            channel_kind="authority",
            status="submitted",
        )
        session.add(report)
        session.flush()
        session.add(
            ReportEvent(
                report_id=report.id,
                action="submitted",
                new_status="submitted",
                actor="oanh",
                created_at=T0 + timedelta(days=3),
            )
        )
        finding_id = finding.id
    with session_scope(factory) as session:
        page = ConsoleViews(session).finding(finding_id)
        assert page is not None
        steps = [(entry.kind, entry.code, entry.actor) for entry in page.timeline]
        assert steps == [
            ("tip", "cli", "dan"),
            ("sighting", "new", None),
            ("sighting", "changed", None),
            ("lifecycle", "gone", None),
            ("report", "submitted", "oanh"),
            ("triage", "reported", "oanh"),  # recorded now, after the dated report event
        ]
        assert page.timeline[-2].detail == {"channel": "pa05", "status": "submitted"}
        views = ConsoleViews(session)
        assert views.matching_ids(QueueFilter(report="submitted")) == [finding_id]
        assert views.matching_ids(QueueFilter(report="none")) == []
        assert views.matching_ids(QueueFilter(report="refused")) == []
        assert [span.name for span in page.names] == ["BHXH giả", "BHXH giả 2"]
        assert ConsoleViews(session).finding(finding_id + 1000) is None
    engine.dispose()


def test_accounts_tokens_and_throttle_counts(db_url: str) -> None:
    engine = open_database(db_url)
    with session_scope(session_factory(engine)) as session:
        repo = AccountRepository(session)
        user = repo.add("oanh", "hash", "officer")
        repo.add_token(user, "secret-token")
        assert repo.user_for_token("secret-token") == user
        assert repo.user_for_token("other") is None
        assert repo.token_counts() == {user.id: 1}
        for minute in range(3):
            repo.record_attempt("oanh", "10.0.0.1", False, T0 + timedelta(minutes=minute))
        assert repo.failures_since(T0, username="oanh") == 3
        repo.record_attempt("oanh", "10.0.0.1", True, T0 + timedelta(minutes=4))
        repo.record_attempt("oanh", "10.0.0.1", False, T0 + timedelta(minutes=5))
        # A success clears the account's count, never the address's.
        assert repo.failures_since(T0, username="oanh") == 1
        assert repo.failures_since(T0, address="10.0.0.1") == 4
        assert repo.failures_since(T0 + timedelta(minutes=3), address="10.0.0.1") == 1
        assert repo.forget_attempts(T0 + timedelta(minutes=2)) == 2
        repo.disable(user)
        assert repo.user_for_token("secret-token") is None
        assert user.session_epoch == 1
    engine.dispose()
