"""Loopback stand-ins for chat services: an HTTP receiver (Apprise json:// and form://) and a Zalo OA API."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


@dataclass
class Seen:
    """Requests a stand-in received; tests wait on the condition, never on the clock."""

    items: list[dict[str, Any]] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)

    def add(self, item: dict[str, Any]) -> None:
        with self.changed:
            self.items.append(item)
            self.changed.notify_all()

    def wait_for(self, count: int, timeout: float = 30.0) -> list[dict[str, Any]]:
        with self.changed:
            if not self.changed.wait_for(lambda: len(self.items) >= count, timeout):
                raise AssertionError(f"expected {count} request(s), got {len(self.items)}")
            return list(self.items)

    def snapshot(self) -> list[dict[str, Any]]:
        with self.changed:
            return list(self.items)


class Receiver:
    """Takes what Apprise's json:// and form:// schemes POST; `fail` answers 500 instead."""

    def __init__(self) -> None:
        self.seen = Seen()
        self.fail = False

    def app(self) -> Starlette:
        async def receive(request: Request) -> Response:
            raw = await request.body()
            kind = request.headers.get("content-type", "")
            if "json" in kind:
                fields = json.loads(raw)
            else:
                fields = {key: values[0] for key, values in parse_qs(raw.decode("utf-8")).items()}
            self.seen.add({"path": request.url.path, "type": kind, "fields": fields})
            return Response(status_code=500) if self.fail else JSONResponse({"ok": True})

        return Starlette(routes=[Route("/{path:path}", receive, methods=["POST"])])

    def texts(self) -> list[str]:
        """Each message's title and body as one text."""
        return [
            f"{item['fields'].get('title', '')}\n{item['fields'].get('message', '')}"
            for item in self.seen.snapshot()
        ]


class ZaloStandIn:
    """The two Zalo OA endpoints alerts use: send a customer-service message, refresh the token.

    Tokens in `expired` answer error -216; a refresh hands out the next numbered pair and retires
    the refresh token it was given (Zalo's refresh tokens work once).
    """

    def __init__(self, *, access: str, refresh: str, app_id: str, secret: str, expired: bool = True) -> None:
        self.valid = set() if expired else {access}
        self.expired = {access} if expired else set()
        self.refresh_tokens = {refresh}
        self.app_id = app_id
        self.secret = secret
        self.refreshes = 0
        self.messages = Seen()
        self.refusals: list[int] = []
        self.followers: set[str] | None = None
        self.expires_in = "90000"

    def app(self) -> Starlette:
        async def send(request: Request) -> JSONResponse:
            token = request.headers.get("access_token", "")
            body = await request.json()
            if token in self.expired:
                self.refusals.append(-216)
                return JSONResponse({"error": -216, "message": "Access token is invalid"})
            if token not in self.valid:
                return JSONResponse({"error": -201, "message": "Invalid access token"})
            user = body["recipient"]["user_id"]
            if self.followers is not None and user not in self.followers:
                return JSONResponse({"error": -213, "message": "User has not followed OA"})
            self.messages.add({"user_id": user, "text": body["message"]["text"], "token": token})
            return JSONResponse(
                {"error": 0, "message": "Success", "data": {"message_id": "m1", "user_id": user}}
            )

        async def refresh(request: Request) -> JSONResponse:
            form = await request.form()
            given = str(form.get("refresh_token"))
            if request.headers.get("secret_key") != self.secret or form.get("app_id") != self.app_id:
                return JSONResponse({"error": -14002, "error_name": "Invalid app"})
            if given not in self.refresh_tokens or form.get("grant_type") != "refresh_token":
                return JSONResponse({"error": -14014, "error_name": "Invalid refresh token"})
            self.refresh_tokens.discard(given)
            self.refreshes += 1
            access, refresh_token = f"access-{self.refreshes}", f"refresh-{self.refreshes}"
            self.valid.add(access)
            self.refresh_tokens.add(refresh_token)
            return JSONResponse(
                {"access_token": access, "refresh_token": refresh_token, "expires_in": self.expires_in}
            )

        return Starlette(
            routes=[
                Route("/v3.0/oa/message/cs", send, methods=["POST"]),
                Route("/v4/oa/access_token", refresh, methods=["POST"]),
            ]
        )
