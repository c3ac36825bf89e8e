"""Leads as JSON, so a discovery job on one worker hands them to a judgement on another.

Everything a lead carries goes through: the sighting or the ready candidate, the flags, other
names and the evidence documents (bodies as base64, headers and times kept).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from monitor.candidates import Candidate, Sighting
from monitor.discover.base import Lead
from monitor.evidence import Fetched


@dataclass(frozen=True)
class Document:
    """An evidence document read back from JSON (the archive needs only these fields)."""

    url: str
    final_url: str
    status: int
    body: bytes
    fetched_at: datetime
    robots: str
    headers: Mapping[str, str] = field(default_factory=dict)


def lead_to_json(lead: Lead) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if lead.sighting is not None:
        data["sighting"] = _sighting_json(lead.sighting)
    if lead.candidate is not None:
        data["candidate"] = _candidate_json(lead.candidate)
    flags = {"read": lead.read, "vouched": lead.vouched, "recheck": lead.recheck}
    data.update({name: value for name, value in flags.items() if value != _DEFAULTS[name]})
    if lead.other_names:
        data["other_names"] = list(lead.other_names)
    if lead.documents:
        data["documents"] = [_document_json(doc) for doc in lead.documents]
    return data


def lead_from_json(data: Mapping[str, Any]) -> Lead:
    sighting = data.get("sighting")
    candidate = data.get("candidate")
    return Lead(
        sighting=_sighting(sighting) if sighting else None,
        candidate=_candidate(candidate) if candidate else None,
        read=bool(data.get("read", _DEFAULTS["read"])),
        vouched=bool(data.get("vouched", _DEFAULTS["vouched"])),
        recheck=bool(data.get("recheck", _DEFAULTS["recheck"])),
        other_names=tuple(str(name) for name in data.get("other_names", ())),
        documents=tuple(_document(doc) for doc in data.get("documents", ())),
    )


_DEFAULTS = {"read": True, "vouched": False, "recheck": False}


def _sighting_json(s: Sighting) -> dict[str, Any]:
    return {
        "source": s.source,
        "query": s.query,
        "rank": s.rank,
        "title": s.title,
        "url": s.url,
        "snippet": s.snippet,
        "seen_at": s.seen_at.isoformat(),
    }


def _sighting(d: Mapping[str, Any]) -> Sighting:
    return Sighting(
        str(d["source"]),
        str(d["query"]),
        int(d["rank"]),
        str(d["title"]),
        str(d["url"]),
        str(d["snippet"]),
        datetime.fromisoformat(d["seen_at"]),
    )


def _candidate_json(c: Candidate) -> dict[str, Any]:
    return {
        "brand": c.brand,
        "platform": c.platform,
        "identity": c.identity,
        "url": c.url,
        "name": c.name,
        "snippets": list(c.snippets),
        "sightings": [_sighting_json(s) for s in c.sightings],
        "sources": list(c.sources),
    }


def _candidate(d: Mapping[str, Any]) -> Candidate:
    return Candidate(
        brand=str(d["brand"]),
        platform=str(d["platform"]),
        identity=str(d["identity"]),
        url=str(d["url"]),
        name=str(d["name"]),
        snippets=[str(s) for s in d.get("snippets", ())],
        sightings=[_sighting(s) for s in d.get("sightings", ())],
        sources=[str(s) for s in d.get("sources", ())],
    )


def _document_json(doc: Fetched) -> dict[str, Any]:
    return {
        "url": doc.url,
        "final_url": doc.final_url,
        "status": doc.status,
        "headers": dict(doc.headers),
        "body": base64.b64encode(doc.body).decode("ascii"),
        "fetched_at": doc.fetched_at.isoformat(),
        "robots": doc.robots,
    }


def _document(d: Mapping[str, Any]) -> Document:
    return Document(
        url=str(d["url"]),
        final_url=str(d["final_url"]),
        status=int(d["status"]),
        body=base64.b64decode(d["body"]),
        fetched_at=datetime.fromisoformat(d["fetched_at"]),
        robots=str(d["robots"]),
        headers={str(k): str(v) for k, v in dict(d.get("headers", {})).items()},
    )
