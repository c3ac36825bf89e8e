"""Tips: a URL reported by a citizen or a colleague becomes a candidate of source `tip` in every scan."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.responses import RedirectResponse, Response

from monitor.store.tips import TipRepository
from monitor.web.handling import Ctx, endpoint

MAX_URL_CHARS = 2048


def tip_url_problem(url: str) -> bool:
    """True when `url` cannot be a tip: not http(s), no host, spaces or controls, too long."""
    if not url or len(url) > MAX_URL_CHARS or any(ch.isspace() or ord(ch) < 0x20 for ch in url):
        return True
    try:
        parts = urlsplit(url)
    except ValueError:
        return True
    return parts.scheme.lower() not in ("http", "https") or not parts.hostname


def _page(ctx: Ctx, status: int = 200, error: str | None = None, notice: str | None = None) -> Response:
    offices = {brand.slug: brand.name for brand in ctx.console.settings.brands}
    return ctx.render(
        "tips.html",
        status,
        tips=TipRepository(ctx.session).recent(100),
        offices=offices,
        error=error,
        notice=notice,
        values={key: ctx.field(key) for key in ("url", "name", "brand", "note")},
        can_act=ctx.user is not None and ctx.user.role in ("officer", "admin"),
    )


@endpoint(role="viewer")
def tips_page(ctx: Ctx) -> Response:
    added = ctx.request.query_params.get("added") == "1"
    return _page(ctx, notice=ctx.t("tips.added") if added else None)


@endpoint(role="officer")
def tips_submit(ctx: Ctx) -> Response:
    url = ctx.field("url", MAX_URL_CHARS + 1).strip()
    brands = [brand.slug for brand in ctx.console.settings.brands]
    brand = ctx.field("brand", 64) or (brands[0] if len(brands) == 1 else "")
    if tip_url_problem(url):
        return _page(ctx, 400, error=ctx.t("tips.bad_url"))
    if brand not in brands:
        return _page(ctx, 400, error=ctx.t("tips.bad_brand"))
    TipRepository(ctx.session).add(
        brand,
        url,
        ctx.actor,
        name=ctx.field("name", 500).strip() or None,
        note=ctx.field("note", 2000).strip() or None,
        via="web",
    )
    return RedirectResponse("/tips?added=1", status_code=303)
