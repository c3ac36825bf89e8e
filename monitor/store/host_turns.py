"""The per-host politeness clock shared by every worker: when a request to a host last started.

A worker claims a host's turn (`HostTurns.claim`) in one statement: granted when no start is
younger than the interval, and the host is then held for the claimant (its row says "a start
HOLD_SECONDS from now") until `HostTurns.started` records the moment the request really went on
the wire. The time between a turn and the wire (a DNS lookup, a TLS handshake) so never lets
another worker in. A worker that dies holding a turn blocks the host for HOLD_SECONDS (and the
interval) at most.

"Now" is always the database's clock, read after the statement holds the row (PostgreSQL) or the
write lock (SQLite): workers on machines whose clocks disagree still keep one interval per host,
and of two workers racing for a host the second sees the first one's claim.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import DateTime, Engine, TextClause, TextualSelect, bindparam, text

from monitor.store.db import session_factory, session_scope

# Longest a turn holds its host before the request is on the wire: above the client's connect
# timeout (DNS lookup, TCP and TLS), so only a worker that died holding it lets it run out.
HOLD_SECONDS = 30.0
# How soon a claim refused by a hold asks again when its own interval is shorter (or zero).
HELD_RETRY_SECONDS = 0.05

_STAMP = DateTime(timezone=True)


@dataclass(frozen=True)
class _Dialect:
    claim: TextualSelect
    left: TextClause
    started: TextClause


# Granted: a fresh host, or a last start at least `interval` old. A last start further in the
# future than a hold can reach means the database clock was set back: replaced, not waited for.
_POSTGRESQL = _Dialect(
    claim=text(
        "INSERT INTO host_turns (host, last_start) "
        "VALUES (:host, clock_timestamp() + make_interval(secs => :hold)) "
        "ON CONFLICT (host) DO UPDATE SET last_start = clock_timestamp() + make_interval(secs => :hold) "
        "WHERE host_turns.last_start <= clock_timestamp() - make_interval(secs => :interval) "
        "OR host_turns.last_start > clock_timestamp() + make_interval(secs => :hold) "
        "RETURNING last_start"
    ).columns(last_start=_STAMP),
    left=text(
        "SELECT CAST(EXTRACT(EPOCH FROM last_start - clock_timestamp()) AS double precision) + :interval "
        "FROM host_turns WHERE host = :host"
    ),
    started=text(
        "UPDATE host_turns SET last_start = clock_timestamp() WHERE host = :host AND last_start = :held"
    ).bindparams(bindparam("held", type_=_STAMP)),
)
# SQLite: 'now' is read once per statement, after the write lock is taken; stamps are UTC text in
# the format SQLAlchemy reads back as a DateTime (microseconds, of which SQLite knows three).
_SQLITE = _Dialect(
    claim=text(
        "INSERT INTO host_turns (host, last_start) "
        "VALUES (:host, strftime('%Y-%m-%d %H:%M:%f000', 'now', :hold_modifier)) "
        "ON CONFLICT (host) DO UPDATE SET last_start = excluded.last_start "
        "WHERE julianday(host_turns.last_start) <= julianday('now') - :interval / 86400.0 "
        "OR julianday(host_turns.last_start) > julianday('now') + :hold / 86400.0 "
        "RETURNING last_start"
    ).columns(last_start=_STAMP),
    left=text(
        "SELECT (julianday(last_start) - julianday('now')) * 86400.0 + :interval "
        "FROM host_turns WHERE host = :host"
    ),
    started=text(
        "UPDATE host_turns SET last_start = strftime('%Y-%m-%d %H:%M:%f000', 'now') "
        "WHERE host = :host AND last_start = :held"
    ).bindparams(bindparam("held", type_=_STAMP)),
)


@dataclass(frozen=True)
class Turn:
    """The answer to a claim: `held` (the hold, to hand back to `started`) when granted; else None
    and `wait`, the seconds after which asking again may succeed."""

    held: datetime | None
    wait: float = 0.0

    @property
    def granted(self) -> bool:
        return self.held is not None


class HostTurns:
    """Claims and records request starts per host in the shared database (table host_turns)."""

    def __init__(self, engine: Engine, hold: float = HOLD_SECONDS) -> None:
        self.engine = engine
        self.hold = hold
        self._factory = session_factory(engine)
        self._sql = _POSTGRESQL if engine.dialect.name == "postgresql" else _SQLITE

    def claim(self, host: str, interval: float) -> Turn:
        """Hold host for a request if no request to it started in the last `interval` seconds (nor
        is about to: another worker's hold); otherwise hold nothing and say how long to wait."""
        interval = max(0.0, float(interval))
        params = {
            "host": host,
            "interval": interval,
            "hold": self.hold,
            "hold_modifier": f"+{self.hold} seconds",
        }
        while True:
            with session_scope(self._factory) as session:
                held = session.execute(self._sql.claim, params).scalar_one_or_none()
                if held is not None:
                    return Turn(held)
                # The same transaction still holds the row (PostgreSQL locks it even when the
                # update is refused), so this reads the very start that refused the claim.
                left = session.execute(self._sql.left, params).scalar_one_or_none()
            # Nothing left to wait for (the interval ran out between the two statements): again.
            if left is not None and left > 0:
                # More than the interval: another worker holds the host. Its request starts later
                # than now, so the next start may not come before one interval from now anyway.
                return Turn(None, min(float(left), max(interval, HELD_RETRY_SECONDS)))

    def started(self, host: str, turn: Turn) -> None:
        """The request of `turn` went on the wire (or will not be sent): record now as the host's
        last start and free it. Nothing happens when the hold ran out and another worker took it."""
        if turn.held is None:
            return
        with session_scope(self._factory) as session:
            session.execute(self._sql.started, {"host": host, "held": turn.held})
