"""Security headers on everything the admin port answers, and a strict Content-Security-Policy on the console:
scripts, styles and connections from the console's own origin only; no inline script or style, no frames,
forms posting only to itself. The OpenAPI page (/docs) keeps FastAPI's own (it loads Swagger UI).
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from gateway.metrics import ASGIApp
from shared.health import Receive, Scope, Send

CONSOLE_PREFIX = "/console"
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
_ALWAYS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]
_CONSOLE = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]
_NO_STORE = [(b"cache-control", b"no-store")]


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        added = list(_ALWAYS)
        if path.startswith(CONSOLE_PREFIX):
            added += _CONSOLE
            if not path.startswith((f"{CONSOLE_PREFIX}/static/", f"{CONSOLE_PREFIX}/vendor/")):
                added += _NO_STORE

        async def sending(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {bytes(name).lower() for name, _ in headers}
                message = {**message, "headers": headers + [(n, v) for n, v in added if n not in present]}
            await send(message)

        await self._app(scope, receive, sending)
