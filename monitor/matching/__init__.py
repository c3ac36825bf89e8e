"""Vietnamese-aware impersonation matching: normalisation, brand profiles, scores and reasons."""

from __future__ import annotations

from monitor.matching.matcher import IMPERSONATION_AT, SUSPECT_AT, Matcher, MatchResult, verdict_for
from monitor.matching.normalize import Normalized, Normalizer
from monitor.matching.profile import BrandProfile
from monitor.matching.reasons import Reason, describe

__all__ = [
    "IMPERSONATION_AT",
    "SUSPECT_AT",
    "BrandProfile",
    "MatchResult",
    "Matcher",
    "Normalized",
    "Normalizer",
    "Reason",
    "describe",
    "verdict_for",
]
