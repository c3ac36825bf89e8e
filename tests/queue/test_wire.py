"""Leads survive the trip through the store as JSON, bodies and all."""

from __future__ import annotations

from datetime import UTC, datetime

from monitor.candidates import Candidate, Sighting
from monitor.discover.base import Lead
from monitor.discover.wire import lead_from_json, lead_to_json
from monitor.domains.bridge import EvidenceDocument

SEEN = datetime(2026, 12, 2, 7, 30, tzinfo=UTC)


def test_a_sighting_lead_comes_back_equal() -> None:
    sighting = Sighting(
        "brave", '"BHXH Bình Dương"', 3, "BHXH <b>Bình Dương</b>\x00", "https://t.me/x", "hỗ trợ", SEEN
    )
    lead = Lead(sighting=sighting, vouched=True)
    assert lead_from_json(lead_to_json(lead)) == lead


def test_a_ready_candidate_with_evidence_comes_back_equal() -> None:
    candidate = Candidate(
        brand="bhxh-binh-duong",
        platform="web",
        identity="web:bhxhbinhduong.vn",
        url="http://bhxhbinhduong.vn/",
        name="bhxhbinhduong.vn",
        snippets=["Bảo hiểm xã hội Bình Dương"],
        sightings=[Sighting("domains", "", 1, "t", "http://bhxhbinhduong.vn/", "", SEEN)],
        sources=["domains", "crtsh"],
    )
    document = EvidenceDocument(url="dns:bhxhbinhduong.vn", body=b'\x00\xff{"a": 1}', fetched_at=SEEN)
    lead = Lead(candidate=candidate, read=False, other_names=("bhxhbinhduong.vn",), documents=(document,))
    back = lead_from_json(lead_to_json(lead))
    assert back.candidate == candidate
    assert (back.read, back.vouched, back.recheck, back.other_names) == (
        False,
        False,
        False,
        lead.other_names,
    )
    (doc,) = back.documents
    assert (doc.url, doc.final_url, doc.body, doc.fetched_at, doc.robots, dict(doc.headers)) == (
        document.url,
        document.final_url,
        document.body,
        document.fetched_at,
        document.robots,
        document.headers,
    )
