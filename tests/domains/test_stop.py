"""A stopping run ends look-alike work at once: DNS look-ups in flight and crt.sh's retry wait."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest

from monitor.domains.crtsh import query_crtsh
from monitor.domains.dns import detect_wildcards, make_resolver, resolve_with
from monitor.net.stop import Stopped
from tests.domains.dnsserver import FakeZones, dns_server
from tests.domains.web import Peer, client, html_answer
from tests.support.loopback import serve

# Far longer than any test may take: only a stop can end these waits in time.
LONG = 600.0


class Seen(FakeZones):
    """FakeZones that says when the first query arrived."""

    first: threading.Event

    def resolve(self, request: object, handler: object) -> object:
        self.first.set()
        return super().resolve(request, handler)


def stop_when(event: threading.Event, stop: threading.Event) -> None:
    def watch() -> None:
        if event.wait(30):
            stop.set()

    threading.Thread(target=watch, daemon=True).start()


def test_look_ups_in_flight_end_when_the_run_stops_and_answers_so_far_are_kept() -> None:
    zones = Seen(records={"bhxh.com": {"A": ["127.0.0.1"]}}, silent=frozenset({"xyz"}))
    zones.first = threading.Event()
    stop = threading.Event()
    names = ["bhxh.com", *(f"bhxh{n}.xyz" for n in range(40))]

    async def go(address: str) -> dict[str, object]:
        resolver = make_resolver([address], LONG)  # a silent server is waited for LONG / 2
        return dict(await asyncio.wait_for(resolve_with(resolver, names, 4, stop=stop), 30))

    with dns_server(zones) as address:
        # The first name answers at once; the silent ones hold every worker until the stop.
        stop_when(zones.first, stop)
        answers = asyncio.run(go(address))
    assert stop.is_set()
    assert set(answers) <= set(names)
    assert len(answers) < len(names)
    assert all(getattr(answer, "status", None) != "nxdomain" for answer in answers.values())
    with zones.lock:
        asked = {name for name, _ in zones.queries}
    assert len(asked) <= 4 + 1  # no look-up started after the stop


def test_without_a_stop_every_name_is_answered() -> None:
    zones = FakeZones(records={"bhxh.com": {"A": ["127.0.0.1"]}})
    stop = threading.Event()

    async def go(address: str) -> dict[str, str]:
        resolver = make_resolver([address], 2.0)
        found = await resolve_with(resolver, ["bhxh.com", "vss.com"], 2, stop=stop)
        return {name: answer.status for name, answer in found.items()}

    with dns_server(zones) as address:
        assert asyncio.run(go(address)) == {"bhxh.com": "registered", "vss.com": "nxdomain"}


def test_wildcard_probes_not_asked_before_the_stop_are_unknown_never_none() -> None:
    zones = FakeZones(wildcards={"xyz": "127.0.0.1"})
    stop = threading.Event()
    stop.set()

    async def go(address: str) -> dict[str, tuple[str, str]]:
        found = await detect_wildcards(make_resolver([address], 2.0), ["xyz", "com"], 2, stop=stop)
        return {zone: (w.status, w.probe.reason) for zone, w in found.items()}

    with dns_server(zones) as address:
        assert asyncio.run(go(address)) == {"xyz": ("unknown", "stopped"), "com": ("unknown", "stopped")}
    assert zones.queries == []


@pytest.fixture
def peer() -> Iterator[tuple[Peer, str]]:
    web = Peer()
    with serve(web.app(), host="127.0.0.1") as base:
        yield web, base + "/"


def test_crtsh_retry_wait_ends_when_the_run_stops(peer: tuple[Peer, str]) -> None:
    web, url = peer
    web.crtsh["%bhxh%"] = [html_answer("<html>Sorry, something went wrong</html>")]
    stop = threading.Event()

    async def go() -> None:
        async with client(stop=stop) as http:
            asking = asyncio.create_task(query_crtsh(http, url, "%bhxh%", attempts=3, backoff=LONG))
            while web.crtsh_requests("%bhxh%") == 0:
                await asyncio.sleep(0.01)
            stop.set()  # the overloaded answer came; crt.sh's long back-off has begun
            await asyncio.wait_for(asking, 30)

    with pytest.raises(Stopped):
        asyncio.run(go())
    assert web.crtsh_requests("%bhxh%") == 1
