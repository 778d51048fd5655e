"""Who is asking, checked on every route of the admin port: the admin API and the console share it.

A request carries either `Authorization: Bearer <token>` (the bootstrap VTN_ADMIN_TOKEN, which is admin, or
an operator's access token) or the console's session cookie. A session's changes must also carry its CSRF
token (header `X-CSRF-Token`, or the form field `csrf_token`): a page of another site can make the browser
send the cookie, never the token. Then the principal's role must allow the route (roles.py).

    401  no credential, or a wrong, expired or revoked one
    403  a session's change without its CSRF token, or a role below the route's
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from gateway.console import credentials
from gateway.console.operator_store import OperatorStore
from gateway.console.roles import BOOTSTRAP_ADMIN_NAME, SAFE_METHODS, Principal, Role, role_for_method

log = logging.getLogger(__name__)

SESSION_COOKIE = "vtn_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
# A verified operator token is remembered this long (scrypt costs tens of milliseconds): a disabled
# operator's token stops working within this time, its sessions at once.
TOKEN_CACHE_SECONDS = 30.0
TOKEN_CACHE_ENTRIES = 10_000
# scrypt needs 16 MiB and a few tens of milliseconds per check: at most this many at once.
CONCURRENT_TOKEN_CHECKS = 2


@dataclass(frozen=True)
class SessionPolicy:
    idle_seconds: float
    max_seconds: float
    secure_cookie: bool


class SignInRequired(Exception):
    """A console page was asked for without a live session: the answer is the sign-in page."""


class Authenticator:
    def __init__(self, store: OperatorStore, admin_token: str, policy: SessionPolicy) -> None:
        self.store = store
        self.policy = policy
        self._admin_token = admin_token
        self._verified: OrderedDict[bytes, tuple[float, Principal]] = OrderedDict()
        self._checks = asyncio.Semaphore(CONCURRENT_TOKEN_CHECKS)

    async def from_token(self, token: str) -> Principal | None:
        if credentials.same_secret(token, self._admin_token):
            return Principal(BOOTSTRAP_ADMIN_NAME, Role.ADMIN, "token")
        parsed = credentials.parse_token(token)
        if parsed is None:
            return None
        key = hashlib.sha256(token.encode()).digest()
        cached = self._verified.get(key)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        operator_id, secret = parsed
        row = await self.store.active_operator(operator_id)
        if row is None:
            return None
        async with self._checks:
            matches = await asyncio.to_thread(credentials.secret_matches, secret, row.token_hash)
        if not matches:
            return None
        principal = Principal(row.name, row.role, "token", operator_id=row.operator_id)
        self._verified[key] = (time.monotonic() + TOKEN_CACHE_SECONDS, principal)
        while len(self._verified) > TOKEN_CACHE_ENTRIES:
            self._verified.popitem(last=False)
        return principal

    async def from_session(self, session_id: str) -> Principal | None:
        row = await self.store.live_session(credentials.session_hash(session_id), self.policy.idle_seconds)
        if row is None:
            return None
        return Principal(row.name, row.role, "session", operator_id=row.operator_id, session_csrf=row.csrf_token)

    async def open_session(self, principal: Principal) -> tuple[str, Principal]:
        """A new session for a principal who just showed a valid token; returns the cookie's value."""
        session_id, csrf = credentials.new_session_id(), credentials.new_csrf_token()
        await self.store.open_session(
            credentials.session_hash(session_id), principal.operator_id, principal.name, principal.role, csrf,
            self.policy.max_seconds,
        )  # fmt: skip
        return session_id, Principal(principal.name, principal.role, "session", principal.operator_id, csrf)

    async def close_session(self, session_id: str) -> None:
        await self.store.close_session(credentials.session_hash(session_id))

    async def principal(self, request: Request) -> Principal:
        """The principal of an API request (401 without a valid credential, 403 for a session's change
        without its CSRF token)."""
        authorization = request.headers.get("authorization")
        if authorization is not None:
            scheme, _, token = authorization.partition(" ")
            principal = await self.from_token(token.strip()) if scheme.lower() == "bearer" else None
            if principal is None:
                raise HTTPException(
                    status.HTTP_401_UNAUTHORIZED, "missing or wrong bearer token", {"WWW-Authenticate": "Bearer"}
                )
            return principal
        session_id = request.cookies.get(SESSION_COOKIE)
        principal = await self.from_session(session_id) if session_id else None
        if principal is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED, "sign in, or send a bearer token", {"WWW-Authenticate": "Bearer"}
            )
        if request.method.upper() not in SAFE_METHODS:
            await _check_csrf(request, principal)
        return principal


async def _check_csrf(request: Request, principal: Principal) -> None:
    assert principal.session_csrf is not None
    presented = request.headers.get(CSRF_HEADER)
    if presented is None and request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        form = await request.form()
        field = form.get(CSRF_FIELD)
        presented = field if isinstance(field, str) else None
    if not credentials.same_secret(presented, principal.session_csrf):
        log.warning(
            "change refused: no CSRF token",
            extra={"action": "csrf_refused", "actor": principal.name, "path": request.url.path},
        )
        raise HTTPException(status.HTTP_403_FORBIDDEN, "missing or wrong CSRF token: reload the page and try again")


Dependency = Callable[[Request], Awaitable[Principal]]


def require(authenticator: Authenticator) -> Dependency:
    """The admin API's dependency, on every route: the principal, whose role must allow the method (viewer to
    read, operator to change). It is kept in `request.state.principal` for the routes and the audit trail."""

    async def dependency(request: Request) -> Principal:
        principal = await authenticator.principal(request)
        request.state.principal = principal
        _check_role(principal, role_for_method(request.method))
        return principal

    return dependency


def caller(request: Request) -> Principal:
    """The principal `require` established for this request."""
    principal = getattr(request.state, "principal", None)
    if not isinstance(principal, Principal):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "not signed in", {"WWW-Authenticate": "Bearer"})
    return principal


def admin_only(request: Request) -> Principal:
    """For routes beyond operators' reach (managing operators): the bootstrap admin only."""
    principal = caller(request)
    _check_role(principal, Role.ADMIN)
    return principal


# Route parameters: the caller, or the caller who must be the admin.
Caller = Annotated[Principal, Depends(caller)]
AdminCaller = Annotated[Principal, Depends(admin_only)]


def _check_role(principal: Principal, needed: Role) -> None:
    if not principal.role.allows(needed):
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"{principal.role.value} may not do this: {needed.value} needed")


def require_page(authenticator: Authenticator) -> Dependency:
    """A console page's dependency: the session's principal, else the sign-in page (SignInRequired)."""

    async def dependency(request: Request) -> Principal:
        session_id = request.cookies.get(SESSION_COOKIE)
        principal = await authenticator.from_session(session_id) if session_id else None
        if principal is None:
            raise SignInRequired()
        request.state.principal = principal
        return principal

    return dependency
