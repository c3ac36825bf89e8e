"""Enrichment of candidates: page extractors per platform, wall detection and contact signals."""

from __future__ import annotations

from monitor.enrich.contacts import Contacts, extract_all, extract_contacts
from monitor.enrich.enricher import Enrichment, enrich
from monitor.enrich.page import PageInfo
from monitor.enrich.pages import extract_page
from monitor.enrich.walls import WallVerdict, classify_wall

__all__ = [
    "Contacts",
    "Enrichment",
    "PageInfo",
    "WallVerdict",
    "classify_wall",
    "enrich",
    "extract_all",
    "extract_contacts",
    "extract_page",
]
