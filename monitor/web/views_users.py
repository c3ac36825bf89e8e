"""The accounts list for administrators (changes are made with `monitor users`)."""

from __future__ import annotations

from starlette.responses import Response

from monitor.store.accounts import AccountRepository
from monitor.web.handling import Ctx, endpoint


@endpoint(role="admin")
def users_page(ctx: Ctx) -> Response:
    repo = AccountRepository(ctx.session)
    return ctx.render("users.html", users=repo.all(), tokens=repo.token_counts())
