"""The JSON API under /api/: the pages' data in codes and ISO 8601 times, for scripts.

A session cookie (with the `X-CSRF-Token` header on POST) or `Authorization: Bearer <token>`.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse, Response

from monitor.diff import TRIAGE_ACTIONS
from monitor.display import machine_time
from monitor.store.console import ConsoleViews
from monitor.store.findings import FindingRepository
from monitor.store.tips import TipRepository
from monitor.store.views import FindingView
from monitor.web.handling import BAD_REQUEST, NOT_FOUND, Ctx, endpoint, refuse
from monitor.web.views_finding import _finding_id
from monitor.web.views_queue import PER_PAGE, _page_number, _query_filter, check_action
from monitor.web.views_tips import tip_url_problem


@endpoint(role="viewer", api=True)
def api_me(ctx: Ctx) -> Response:
    assert ctx.user is not None
    return JSONResponse(
        {
            "username": ctx.user.username,
            "role": ctx.user.role,
            "language": ctx.user.language,
            "csrf_token": ctx.csrf,
        }
    )


@endpoint(role="viewer", api=True)
def api_findings(ctx: Ctx) -> Response:
    views = ConsoleViews(ctx.session)
    spec, kept, _offices = _query_filter(ctx, views)
    page = views.queue(spec, _page_number(ctx.request.query_params.get("page")), PER_PAGE)
    return JSONResponse(
        {
            "filter": kept,
            "total": page.total,
            "page": page.page,
            "pages": page.pages,
            "per_page": page.per_page,
            "findings": [row.to_json() for row in page.rows],
        }
    )


@endpoint(role="viewer", api=True)
def api_finding(ctx: Ctx) -> Response:
    page = ConsoleViews(ctx.session).finding(_finding_id(ctx))
    if page is None:
        raise refuse(NOT_FOUND)
    f = page.finding
    return JSONResponse(
        {
            **FindingView.of(f).to_json(),
            "signals": f.signals,
            "sources": f.sources,
            "names": [
                {"name": n.name, "first_at": machine_time(n.first_at), "last_at": machine_time(n.last_at)}
                for n in page.names
            ],
            "evidence": [
                {
                    "sha256": c.sha256,
                    "url": c.url,
                    "status": c.status,
                    "media_type": c.media_type,
                    "captured_at": machine_time(c.last_fetched_at),
                }
                for c in page.captures
            ],
            "files": [
                {"id": file.id, "kind": file.kind, "sha256": file.sha256, "added_by": file.added_by}
                for file in page.files
            ],
            "timeline": [
                {
                    "at": machine_time(entry.at),
                    "kind": entry.kind,
                    "code": entry.code,
                    "actor": entry.actor,
                    "note": entry.note,
                    **({"detail": entry.detail} if entry.detail else {}),
                }
                for entry in page.timeline
            ],
        }
    )


def _body(ctx: Ctx) -> dict[str, Any]:
    if isinstance(ctx.body, dict):
        return ctx.body
    if ctx.form is not None:
        return {key: value for key, value in ctx.form.items() if isinstance(value, str)}
    return {}


@endpoint(role="officer", api=True)
def api_triage(ctx: Ctx) -> Response:
    body = _body(ctx)
    action, note = body.get("action"), body.get("note")
    if not isinstance(action, str) or not (note is None or isinstance(note, str)):
        raise refuse(BAD_REQUEST)
    check_action(ctx, action, TRIAGE_ACTIONS)
    repo = FindingRepository(ctx.session)
    finding = repo.by_id(_finding_id(ctx))
    if finding is None:
        raise refuse(NOT_FOUND)
    event = repo.mark(finding, action, (note or "").strip()[:2000] or None, ctx.actor)
    return JSONResponse(
        {
            "id": finding.id,
            "triage": finding.triage,
            "status": finding.status,
            "event": {
                "action": event.action,
                "note": event.note,
                "actor": event.actor,
                "at": machine_time(event.created_at),
            },
        }
    )


@endpoint(role="officer", api=True)
def api_tip(ctx: Ctx) -> Response:
    body = _body(ctx)
    url = str(body.get("url") or "").strip()
    brands = [brand.slug for brand in ctx.console.settings.brands]
    brand = str(body.get("brand") or (brands[0] if len(brands) == 1 else ""))
    if tip_url_problem(url) or brand not in brands:
        raise refuse(BAD_REQUEST)
    name, note = body.get("name"), body.get("note")
    tip = TipRepository(ctx.session).add(
        brand,
        url,
        ctx.actor,
        name=str(name)[:500] if name else None,
        note=str(note)[:2000] if note else None,
        via="api",
    )
    return JSONResponse(
        {"id": tip.id, "brand": tip.brand, "url": tip.url, "submitted_by": tip.submitted_by}, status_code=201
    )


@endpoint(role="viewer", api=True)
def api_sources(ctx: Ctx) -> Response:
    view = ConsoleViews(ctx.session).sources()
    daemon = view.daemon
    return JSONResponse(
        {
            "daemon": {
                "state": daemon.state if daemon else "never_started",
                "heartbeat_at": machine_time(daemon.heartbeat_at) if daemon else None,
            },
            "sources": [
                {
                    "brand": h.brand,
                    "source": h.source,
                    "status": h.last_status,
                    "last_run_at": machine_time(h.last_run_at),
                    "last_ok_at": machine_time(h.last_ok_at),
                    "consecutive_failures": h.consecutive_failures,
                    "failing_since": machine_time(h.failing_since),
                    "error": h.last_error,
                }
                for h in view.health
            ],
            "scans": [
                {
                    "id": s.id,
                    "status": s.status,
                    "started_at": machine_time(s.started_at),
                    "finished_at": machine_time(s.finished_at),
                    "counts": s.counts,
                }
                for s in view.scans
            ],
        }
    )
