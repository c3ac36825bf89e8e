"""A finding's story in a digest period: one card per finding, in one section, with what happened."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from monitor.diff import SILENCING_TRIAGE
from monitor.i18n import Language
from monitor.notify.texts import STEPS, label, text
from monitor.notify.views import changed_fields
from monitor.store.schema import Observation
from monitor.store.views import FindingView

ENDED = frozenset({"gone", "taken_down"})


@dataclass(frozen=True)
class Story:
    """Everything the period did to one finding; the card shows `latest` and tells `steps`."""

    finding: FindingView
    latest: Observation
    # What the finding was before the period, or as it first appeared in it: change lines compare to it.
    baseline: Observation
    steps: tuple[str, ...]
    section: str

    def history(self, lang: Language) -> str | None:
        """'Diễn biến trong kỳ: Mới · đã đổi tên · đã bị gỡ'; None when there is nothing more to tell."""
        if len(self.steps) < 2 and self.latest.event not in ENDED:
            return None
        words = " · ".join(label(STEPS, step, lang) for step in self.steps)
        return text("item.history", lang, events=words[:1].upper() + words[1:])


def steps_of(events: Sequence[Observation], before: Observation | None) -> tuple[str, ...]:
    """The period's events as steps (a change becomes what changed); a repeated step is told once."""
    steps: list[str] = []
    prior = before
    for observation in events:
        if observation.event == "changed":
            found = changed_fields(prior, observation) or ("changed",)
        else:
            found = (observation.event,)
        for step in found:
            if not steps or steps[-1] != step:
                steps.append(step)
        prior = observation
    return tuple(steps)


def section_of(finding: FindingView, events: Sequence[Observation], before: Observation | None) -> str | None:
    """Where the finding's card goes, by its latest state; None when the digest leaves it out.

    Ended beats everything (a fake found and taken down the same day is one "taken down" card);
    suspects wait for review; otherwise a finding first seen in the period is new, then reappeared,
    then changed. Officers' "not a fake" or "ours" silences it unless it was renamed.
    """
    steps = steps_of(events, before)
    latest = events[-1]
    if finding.triage in SILENCING_TRIAGE and "name" not in steps:
        return None
    if latest.event in ENDED:
        return "ended"
    if latest.verdict == "suspect":
        return "review" if finding.triage == "untriaged" else None
    verdicts = {observation.verdict for observation in events}
    if before is not None:
        verdicts.add(before.verdict)
    if "impersonation" not in verdicts:
        return None
    for step in ("new", "reappeared"):
        if step in steps:
            return step
    return "changed"


def period_stories(
    rows: Sequence[tuple[Observation, FindingView]],
    previous: Callable[[Observation], Observation | None],
) -> dict[str, list[Story]]:
    """The period's event rows (in id order) as stories by section, each section in order of last event.

    `previous` gives the observation before a finding's first event of the period.
    """
    events: dict[int, list[Observation]] = {}
    findings: dict[int, FindingView] = {}
    for observation, finding in rows:
        events.setdefault(finding.id, []).append(observation)
        findings[finding.id] = finding
    out: dict[str, list[Story]] = {}
    for finding_id, observations in events.items():
        finding = findings[finding_id]
        first = observations[0]
        before = None if first.event == "new" else previous(first)
        section = section_of(finding, observations, before)
        if section is None:
            continue
        story = Story(
            finding=finding,
            latest=observations[-1],
            baseline=before or first,
            steps=steps_of(observations, before),
            section=section,
        )
        out.setdefault(section, []).append(story)
    for stories in out.values():
        stories.sort(key=lambda story: story.latest.id)
    return out
