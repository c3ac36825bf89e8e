"""One finding: its names, reasons, signals, sources, evidence and timeline; an officer's decision.

Captured pages come from hostile sites: they are shown as escaped text, or rendered in a frame
whose response carries `Content-Security-Policy: sandbox` (an opaque origin, no scripts, nothing
loaded), never as live markup of the console's origin.
"""

from __future__ import annotations

from sqlalchemy import select
from starlette.responses import RedirectResponse, Response

from monitor.diff import TRIAGE_ACTIONS
from monitor.evidence import EvidenceArchive
from monitor.notify.render import safe_href
from monitor.notify.texts import TRIAGE, label
from monitor.notify.views import describe_reason, report_links
from monitor.store.console import ConsoleViews
from monitor.store.findings import FindingRepository
from monitor.store.schema import Capture, EvidenceBlob
from monitor.store.schema_reports import EvidenceFile
from monitor.web.handling import NOT_FOUND, Ctx, endpoint, refuse
from monitor.web.views_queue import allowed_actions, check_action

MAX_TEXT_CHARS = 400_000
SIGNAL_KINDS = ("phone", "zalo", "bank", "email", "logo")
# Captured bodies rendered only inside the sandbox; scripts, plugins, forms and loads are all off.
SANDBOX_CSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'"
FILE_TYPES = frozenset({"image/png", "image/jpeg", "image/webp", "image/gif"})


def _finding_id(ctx: Ctx) -> int:
    raw = str(ctx.request.path_params.get("finding_id", ""))
    if not raw.isdigit() or len(raw) > 12:
        raise refuse(NOT_FOUND)
    return int(raw)


@endpoint(role="viewer")
def finding_page(ctx: Ctx) -> Response:
    page = ConsoleViews(ctx.session).finding(_finding_id(ctx))
    if page is None:
        raise refuse(NOT_FOUND)
    finding = page.finding
    offices = {brand.slug: brand.name for brand in ctx.console.settings.brands}
    recorded = ctx.request.query_params.get("recorded", "")
    return ctx.render(
        "finding.html",
        page=page,
        finding=finding,
        office=offices.get(finding.brand, finding.brand),
        href=safe_href(finding.url),
        reasons=[describe_reason(reason, ctx.lang) for reason in finding.reasons],
        signals=[_signal(ctx, str(signal)) for signal in finding.signals],
        report=report_links(finding.platform, ctx.lang),
        actions=allowed_actions(ctx, TRIAGE_ACTIONS),
        notice=ctx.t("finding.recorded", action=label(TRIAGE, recorded, ctx.lang))
        if recorded in TRIAGE_ACTIONS
        else None,
        can_act=ctx.user is not None and ctx.user.role in ("officer", "admin"),
    )


def _signal(ctx: Ctx, signal: str) -> tuple[str, str]:
    """A stored signal ("phone:0901234567") as (its kind in words, its value)."""
    kind, _, value = signal.partition(":")
    if kind in SIGNAL_KINDS:
        return ctx.t(f"signal.{kind}"), value
    return ctx.t("signal.other"), signal


@endpoint(role="officer")
def triage(ctx: Ctx) -> Response:
    action = ctx.field("action", 32)
    check_action(ctx, action, TRIAGE_ACTIONS)
    repo = FindingRepository(ctx.session)
    finding = repo.by_id(_finding_id(ctx))
    if finding is None:
        raise refuse(NOT_FOUND)
    repo.mark(finding, action, ctx.field("note", 2000).strip() or None, ctx.actor)
    return RedirectResponse(f"/findings/{finding.id}?recorded={action}#timeline", status_code=303)


def _capture(ctx: Ctx) -> tuple[Capture, str | None]:
    finding_id = _finding_id(ctx)
    raw = str(ctx.request.path_params.get("capture_id", ""))
    if not raw.isdigit() or len(raw) > 12:
        raise refuse(NOT_FOUND)
    row = ctx.session.execute(
        select(Capture, EvidenceBlob.media_type)
        .join(EvidenceBlob, EvidenceBlob.sha256 == Capture.sha256)
        .where(Capture.id == int(raw), Capture.finding_id == finding_id)
    ).one_or_none()
    if row is None:
        raise refuse(NOT_FOUND)
    return row[0], row[1]


def _read(ctx: Ctx, sha256: str) -> tuple[bytes | None, str | None]:
    try:
        return EvidenceArchive(ctx.console.settings.evidence.dir).read(sha256), None
    except Exception as exc:  # a missing, unreadable or altered file is reported, not raised
        return None, type(exc).__name__


@endpoint(role="viewer")
def capture_text(ctx: Ctx) -> Response:
    capture, media_type = _capture(ctx)
    body, error = _read(ctx, capture.sha256)
    content = body.decode("utf-8", "replace") if body is not None else ""
    truncated = len(content) > MAX_TEXT_CHARS
    return ctx.render(
        "capture.html",
        capture=capture,
        media_type=media_type,
        finding_id=_finding_id(ctx),
        content=content[:MAX_TEXT_CHARS],
        truncated=truncated,
        limit=MAX_TEXT_CHARS,
        error=error,
        framed=bool(media_type and "html" in media_type.lower()),
    )


@endpoint(role="viewer")
def capture_frame(ctx: Ctx) -> Response:
    """The captured body in a sandbox of its own; anything but HTML is plain text."""
    capture, media_type = _capture(ctx)
    body, error = _read(ctx, capture.sha256)
    html = bool(media_type and "html" in media_type.lower())
    return Response(
        body if body is not None else (error or "").encode(),
        media_type="text/html; charset=utf-8" if html and body is not None else "text/plain; charset=utf-8",
        headers={
            "Content-Security-Policy": SANDBOX_CSP,
            "X-Frame-Options": "SAMEORIGIN",
            "Cache-Control": "no-store",
        },
    )


@endpoint(role="viewer")
def evidence_file(ctx: Ctx) -> Response:
    """A screenshot or an officer's file: images inline, anything else as a download."""
    finding_id = _finding_id(ctx)
    raw = str(ctx.request.path_params.get("file_id", ""))
    row = ctx.session.get(EvidenceFile, int(raw)) if raw.isdigit() and len(raw) < 12 else None
    if row is None or row.finding_id != finding_id:
        raise refuse(NOT_FOUND)
    body, _error = _read(ctx, row.sha256)
    if body is None:
        raise refuse(NOT_FOUND)
    media = (row.media_type or "").lower()
    headers = {"Content-Security-Policy": SANDBOX_CSP, "Cache-Control": "private, max-age=3600"}
    if media not in FILE_TYPES:
        media = "application/octet-stream"
        headers["Content-Disposition"] = f'attachment; filename="finding-{finding_id}-file-{row.id}"'
    return Response(body, media_type=media, headers=headers)
