"""Page states: what became of reading a candidate's page, from the Enrichment's outcome and reason.

The one place that maps (outcome, reason) to a state code. Codes are stored on findings, counted
per scan and kept in JSON; people read them through notify.texts.PAGE_STATES.
"""

from __future__ import annotations

from typing import Literal

from monitor.enrich.enricher import Enrichment

PageState = Literal[
    "read",
    "blocked",
    "robots",
    "too_large",
    "timeout",
    "unsafe_redirect",
    "parse_limit",
    "failed",
    "read_error",
    "gone",
    "not_fetched",
]

# The page was asked for and could not be read: it proves nothing about the account, so it never
# makes a finding taken down nor counts as a miss.
FAILED_CHECKS: tuple[PageState, ...] = (
    "timeout",
    "too_large",
    "blocked",
    "unsafe_redirect",
    "parse_limit",
    "failed",
    "read_error",
)
# Pages not read this scan, in the order a summary lists them; robots.txt forbade the last ones.
UNREADABLE: tuple[PageState, ...] = (*FAILED_CHECKS, "robots")

# Reasons that name their failure whatever the outcome they came with.
_BY_REASON: dict[str, PageState] = {
    "timeout": "timeout",
    "too_large": "too_large",
    "unsafe_url": "unsafe_redirect",
    "parse_limit": "parse_limit",
    "robots_disallowed": "robots",
    # Reading the answer failed on our side: says nothing about the account, websites included.
    "read_error": "read_error",
}
_BY_OUTCOME: dict[str, PageState] = {
    "content": "read",
    "unavailable": "gone",
    "unverified": "robots",
    "blocked": "blocked",
    "failed": "failed",
}
MAX_NOTE_CHARS = 600


def page_state(enrichment: Enrichment | None) -> PageState:
    """The state of the candidate's page after this scan's attempt to read it."""
    if enrichment is None:
        return "not_fetched"
    if enrichment.outcome == "content":
        return "read"
    if enrichment.outcome == "unavailable":
        return "gone"
    by_reason = _BY_REASON.get(enrichment.reason or "")
    return by_reason or _BY_OUTCOME.get(enrichment.outcome, "failed")


def page_note(enrichment: Enrichment | None) -> str | None:
    """Why the page was not read (the reason code, HTTP status and the URL asked); None when read."""
    if enrichment is None or enrichment.outcome == "content":
        return None
    reason = enrichment.reason or enrichment.outcome
    status = enrichment.http_status
    if status is not None and str(status) not in reason:
        reason = f"{reason} (HTTP {status})"
    note = f"{reason}: {enrichment.url}"
    return note if len(note) <= MAX_NOTE_CHARS else note[: MAX_NOTE_CHARS - 1] + "…"


def is_failed_check(state: str | None) -> bool:
    """The page was asked for and could not be read (robots.txt refusals are not asked for)."""
    return state in FAILED_CHECKS


def keeps_state(platform: str, state: str | None) -> bool:
    """A re-check that failed this way says nothing about the account: no miss, no "gone".

    A website whose host no longer resolves or answers (`failed`) is how sites die, so its
    absence rules decide; a platform that failed to answer says nothing about the account.
    """
    if platform == "web" and state == "failed":
        return False
    return is_failed_check(state)
