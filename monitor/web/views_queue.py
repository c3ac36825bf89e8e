"""The queue of findings: filters, sort, pages, and bulk decisions confirmed with their count."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from starlette.responses import RedirectResponse, Response

from monitor.diff import TRIAGE_ACTIONS
from monitor.display import zone_of
from monitor.notify import texts
from monitor.reports.words import STATUS_WORDS
from monitor.store.console import MAX_BULK, SORTS, ConsoleViews, QueueFilter, Sort
from monitor.store.findings import FindingRepository
from monitor.web.handling import BAD_REQUEST, FORBIDDEN, Ctx, endpoint, refuse

PER_PAGE = 50
FILTER_KEYS = ("brand", "platform", "verdict", "status", "triage", "report", "q", "from", "to", "sort")
BULK_ACTIONS = ("confirmed", "dismissed", "reported", "official")
# `official` also allowlists the identity: only administrators keep the allowlist.
ADMIN_ACTIONS = frozenset({"official"})
CHOICES: dict[str, tuple[str, ...]] = {
    "verdict": tuple(texts.VERDICTS),
    "status": tuple(texts.STATUSES),
    "triage": tuple(texts.TRIAGE),
    "platform": tuple(texts.PLATFORMS),
    "report": ("none", *STATUS_WORDS),
}


def _day(value: str) -> date | None:
    """A date typed in a form: yyyy-mm-dd (date inputs) or dd/mm/yyyy (what people write)."""
    value = value.strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    return None


def read_filter(
    get: Callable[[str], str], zone: str, brands: Mapping[str, str]
) -> tuple[QueueFilter, dict[str, str]]:
    """The filter asked for, and the cleaned values to put back into forms and links."""
    kept: dict[str, str] = {}
    values: dict[str, Any] = {}
    for key, codes in CHOICES.items():
        value = get(key)
        if value in codes:
            values[key] = kept[key] = value
    brand = get("brand")
    if brand in brands:
        values["brand"] = kept["brand"] = brand
    query = get("q").strip()[:200]
    if query:
        values["text"] = kept["q"] = query
    local = zone_of(zone)
    start, end = _day(get("from")), _day(get("to"))
    if start is not None:
        values["since"] = datetime.combine(start, time(), local)
        kept["from"] = start.strftime("%d/%m/%Y")
    if end is not None:
        values["until"] = datetime.combine(end + timedelta(days=1), time(), local)
        kept["to"] = end.strftime("%d/%m/%Y")
    sort = get("sort")
    if sort in SORTS:
        kept["sort"] = sort
    chosen: Sort = sort if sort in SORTS else "score"
    return QueueFilter(sort=chosen, **values), kept


def office_names(ctx: Ctx, views: ConsoleViews) -> dict[str, str]:
    """Brand slug -> office name: the configured brands, then any other brand found in the store."""
    names = {brand.slug: brand.name for brand in ctx.console.settings.brands}
    for slug in views.brands():
        names.setdefault(slug, slug)
    return names


def _query_filter(ctx: Ctx, views: ConsoleViews) -> tuple[QueueFilter, dict[str, str], dict[str, str]]:
    offices = office_names(ctx, views)
    params = ctx.request.query_params
    spec, kept = read_filter(lambda key: params.get(key) or "", ctx.console.zone, offices)
    return spec, kept, offices


def _page_number(raw: str | None) -> int:
    return int(raw) if raw and raw.isdigit() and len(raw) < 7 else 1


@endpoint(role="viewer")
def queue(ctx: Ctx) -> Response:
    views = ConsoleViews(ctx.session)
    spec, kept, offices = _query_filter(ctx, views)
    page = views.queue(spec, _page_number(ctx.request.query_params.get("page")), PER_PAGE)
    done = ctx.request.query_params.get("done", "")
    done_action = ctx.request.query_params.get("action", "")
    notice = None
    if done.isdigit() and done_action in TRIAGE_ACTIONS:
        notice = ctx.t("bulk.done", action=texts.label(texts.TRIAGE, done_action, ctx.lang), count=int(done))
    return ctx.render(
        "queue.html",
        page=page,
        kept=kept,
        offices=offices,
        choices=CHOICES,
        sorts=SORTS,
        link=lambda **changes: "/findings?" + urlencode({**kept, **changes}),
        bulk_actions=allowed_actions(ctx, BULK_ACTIONS),
        notice=notice,
        can_act=ctx.user is not None and ctx.user.role in ("officer", "admin"),
    )


def allowed_actions(ctx: Ctx, actions: tuple[str, ...]) -> tuple[str, ...]:
    admin = ctx.user is not None and ctx.user.role == "admin"
    return tuple(action for action in actions if admin or action not in ADMIN_ACTIONS)


def check_action(ctx: Ctx, action: str, actions: tuple[str, ...]) -> None:
    """Refuse an unknown decision (400) or one this account may not take (403)."""
    if action not in actions:
        raise refuse(BAD_REQUEST)
    if action not in allowed_actions(ctx, actions):
        raise refuse(FORBIDDEN)


def _ids(raw: list[str]) -> list[int]:
    ids: list[int] = []
    for chunk in raw:
        for part in chunk.split(","):
            part = part.strip()
            if part.isdigit() and len(part) < 12:
                ids.append(int(part))
    return list(dict.fromkeys(ids))


@endpoint(role="officer")
def bulk_confirm(ctx: Ctx) -> Response:
    """The confirmation page: which findings, how many, and one button that applies to exactly them."""
    views = ConsoleViews(ctx.session)
    action = ctx.field("action", 32)
    check_action(ctx, action, BULK_ACTIONS)
    offices = office_names(ctx, views)
    spec, kept = read_filter(lambda key: ctx.field(key, 200), ctx.console.zone, offices)
    if ctx.field("scope", 16) == "filtered":
        ids = views.matching_ids(spec)
    else:
        ids = views.existing_ids(_ids(ctx.fields("ids")))
    back = "/findings?" + urlencode(kept)
    if not ids or len(ids) > MAX_BULK:
        message = ctx.t("bulk.none") if not ids else ctx.t("bulk.too_many", limit=MAX_BULK)
        return ctx.render("message.html", 400, message=message, back=back)
    picked = views.findings_for_update(ids[:20])
    return ctx.render(
        "bulk_confirm.html",
        action=action,
        ids=",".join(map(str, ids)),
        count=len(ids),
        picked=picked,
        more=len(ids) - len(picked),
        back=back,
    )


@endpoint(role="officer")
def bulk_apply(ctx: Ctx) -> Response:
    action = ctx.field("action", 32)
    ids = _ids([ctx.field("ids", 200_000)])
    check_action(ctx, action, BULK_ACTIONS)
    if not ids or len(ids) > MAX_BULK:
        raise refuse(BAD_REQUEST)
    note = ctx.field("note", 2000).strip() or None
    repo = FindingRepository(ctx.session)
    findings = ConsoleViews(ctx.session).findings_for_update(ids)
    for finding in findings:
        repo.mark(finding, action, note, ctx.actor)
    back = ctx.field("back", 2000)
    target = back if back.startswith("/findings?") or back == "/findings" else "/findings?"
    joiner = "&" if "?" in target and not target.endswith("?") else ("" if target.endswith("?") else "?")
    return RedirectResponse(
        f"{target}{joiner}{urlencode({'done': len(findings), 'action': action})}", status_code=303
    )
