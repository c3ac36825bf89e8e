"""Politeness limits: per-host concurrency and start interval, overall concurrency, circuit breaker."""

from __future__ import annotations

import asyncio
import time

import pytest

from monitor.net import HttpClient, limits
from monitor.net.limits import CircuitBreaker, HostLimiter
from monitor.settings import HttpSettings
from tests.net.apps import Peer, min_gap, text
from tests.support.loopback import serve

# Arrival times are taken by the server; scheduling on a busy machine can bring two arrivals a
# few milliseconds closer than the starts the client spaced out.
JITTER = 0.015


async def _run_slots(
    limiter: HostLimiter, plan: list[str], hold: float, *, report: bool = True
) -> tuple[dict[str, list[float]], int]:
    starts: dict[str, list[float]] = {}
    running = {"now": 0, "max": 0}

    async def one(host: str) -> None:
        async with limiter.slot(host) as grant:
            await grant.turn()  # as the client does right before httpcore writes the request
            if report:  # as the client does once it is written
                grant.started()
            starts.setdefault(host, []).append(time.monotonic())
            running["now"] += 1
            running["max"] = max(running["max"], running["now"])
            await asyncio.sleep(hold)
            running["now"] -= 1

    await asyncio.gather(*(one(host) for host in plan))
    return starts, running["max"]


def test_starts_per_host_are_spaced_by_the_interval_across_concurrent_tasks() -> None:
    limiter = HostLimiter(max_concurrency=10, per_host_concurrency=3, min_interval=0.05)
    starts, _ = asyncio.run(_run_slots(limiter, ["a"] * 8 + ["b"] * 8, hold=0.2))
    for host in ("a", "b"):
        assert len(starts[host]) == 8
        assert min_gap(starts[host]) >= 0.05 - 0.001
    # Two hosts run side by side: the whole run is bound by one host, not by both.
    assert max(starts["a"] + starts["b"]) - min(starts["a"] + starts["b"]) < 0.05 * 8 + 0.3


def test_an_unreported_start_counts_when_the_slot_is_left() -> None:
    """A request whose writing was never reported (connect failed) is timed from its end."""
    limiter = HostLimiter(max_concurrency=10, per_host_concurrency=2, min_interval=0.05)
    starts, most = asyncio.run(_run_slots(limiter, ["a"] * 3, hold=0.1, report=False))
    assert min_gap(starts["a"]) >= 0.15 - 0.001
    assert most == 1


def test_overall_concurrency_is_a_ceiling() -> None:
    limiter = HostLimiter(max_concurrency=2, per_host_concurrency=2, min_interval=0.0)
    _, most = asyncio.run(_run_slots(limiter, ["a", "b", "c", "d", "e", "f"], hold=0.05))
    assert most == 2


def test_pause_and_crawl_delay_slow_a_host_down() -> None:
    limiter = HostLimiter(max_concurrency=4, per_host_concurrency=2, min_interval=0.01)
    limiter.raise_interval("slow", 0.08)
    limiter.raise_interval("fast", 0.0)  # never below the configured interval
    assert (limiter.interval("slow"), limiter.interval("fast")) == (0.08, 0.01)

    async def go() -> float:
        limiter.pause("paused", 0.2)
        started = time.monotonic()
        async with limiter.slot("paused") as grant:
            await grant.turn()
            return time.monotonic() - started

    assert asyncio.run(go()) >= 0.19
    starts, _ = asyncio.run(_run_slots(limiter, ["slow"] * 4, hold=0.0))
    assert min_gap(starts["slow"]) >= 0.079


def test_breaker_counts_consecutive_blocks_per_host() -> None:
    now = [100.0]
    breaker = CircuitBreaker(threshold=3, cooldown=60.0, clock=lambda: now[0])
    assert not breaker.record("a", blocked=True)
    assert not breaker.record("a", blocked=True)
    assert not breaker.record("a", blocked=False)  # a good answer starts the count over
    assert not breaker.record("a", blocked=True)
    assert not breaker.record("a", blocked=True)
    assert breaker.remaining("b") == 0.0
    assert breaker.record("a", blocked=True)
    assert breaker.remaining("a") == 60.0
    assert breaker.remaining("b") == 0.0
    now[0] += 61
    assert breaker.remaining("a") == 0.0
    assert breaker.record("a", blocked=True)  # half-open: one more block reopens it


def test_no_loopback_host_sees_more_concurrency_or_a_faster_rate_than_configured() -> None:
    hosts = ["127.0.0.2", "127.0.0.3"]
    peer = Peer(routes={"/page": text("ok")}, delay=0.03)
    interval, per_host, overall, per_host_requests = 0.05, 2, 3, 12
    settings = HttpSettings(
        allow_private_networks=True,
        per_host_min_interval=interval,
        per_host_concurrency=per_host,
        max_concurrency=overall,
        respect_robots=False,
    )
    with serve(peer.app(), host=hosts[0]) as base_a, serve(peer.app(), host=hosts[1]) as base_b:

        async def go() -> list[int]:
            async with HttpClient.from_settings(settings) as client:
                urls = [f"{base}/page" for base in (base_a, base_b) for _ in range(per_host_requests)]
                responses = await asyncio.gather(*(client.get(url) for url in urls))
            return [r.status for r in responses]

        started = time.monotonic()
        statuses = asyncio.run(go())
        elapsed = time.monotonic() - started
    assert statuses == [200] * (2 * per_host_requests)
    for host in hosts:
        assert len(peer.arrivals(host=host)) == per_host_requests
        assert peer.max_in_flight[host] <= per_host
        assert min_gap(peer.arrivals(host=host)) >= interval - JITTER
    assert peer.max_total_in_flight <= overall
    # Both hosts were served side by side, not one after the other.
    assert elapsed < 2 * per_host_requests * interval


def test_a_slot_is_granted_early_and_its_turn_waits_out_the_rest(monkeypatch: pytest.MonkeyPatch) -> None:
    """The request is readied while the host's last milliseconds run out; it starts on time."""
    early, interval = 0.1, 0.3  # wide, so that a busy machine's late wake-ups cannot blur them
    monkeypatch.setattr(limits, "EARLY", early)
    limiter = HostLimiter(max_concurrency=2, per_host_concurrency=1, min_interval=interval)

    async def go() -> tuple[float, float, float]:
        async with limiter.slot("a") as grant:
            assert await grant.turn() == 0.0  # the host's first request: nothing to wait for
            first = time.monotonic()
            grant.started()
        async with limiter.slot("a") as grant:
            granted = time.monotonic()
            waited = await grant.turn()
            second = time.monotonic()
            grant.started()
        return granted - first, waited, second - first

    granted, waited, gap = asyncio.run(go())
    assert granted >= interval - early - 0.001
    assert waited > 0  # granted before the host's time: the request is built meanwhile
    assert gap >= interval - 0.001


def test_a_turn_moved_after_the_grant_gives_the_slot_back() -> None:
    """A Retry-After that came in between the grant and the wire: no long wait with the slot held."""
    limiter = HostLimiter(max_concurrency=1, per_host_concurrency=1, min_interval=0.0)

    async def go() -> float:
        async with limiter.slot("a") as grant:
            limiter.pause("a", 30.0)
            with pytest.raises(limits.TurnMoved) as moved:
                await grant.turn()
            return moved.value.wait

    assert asyncio.run(go()) > 29


def test_a_turn_moved_while_it_is_waited_for_gives_the_slot_back(monkeypatch: pytest.MonkeyPatch) -> None:
    limiter = HostLimiter(max_concurrency=2, per_host_concurrency=1, min_interval=0.0)
    monkeypatch.setattr(limits, "EARLY", 60.0)  # every wait below a minute is the turn's own
    waits: list[float] = []

    async def retry_after_comes_in(seconds: float, stop: object, url: str = "") -> None:
        waits.append(seconds)
        limiter.pause("a", 120.0)  # a Retry-After while the turn is waited for

    monkeypatch.setattr(limits, "pause", retry_after_comes_in)

    async def go() -> float:
        async with limiter.slot("a") as grant:
            limiter.pause("a", 30.0)  # within EARLY: the turn waits for it
            with pytest.raises(limits.TurnMoved) as moved:
                await grant.turn()
            return moved.value.wait

    assert asyncio.run(go()) > 60
    assert len(waits) == 1
    assert 0 < waits[0] <= 30
