"""Signing in to the console with an access token (VTN_ADMIN_TOKEN or an operator's) and signing out.

The session cookie is HttpOnly, SameSite=Strict, Secure over HTTPS (or always, with
VTN_CONSOLE_SECURE_COOKIE), and lives no longer than the session. The sign-in form itself is protected
against cross-site posting by a double-submit cookie, as no session exists yet.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import RedirectResponse, Response

from gateway.console import credentials
from gateway.console.access import CSRF_FIELD, SESSION_COOKIE, Authenticator
from gateway.console.rendering import Pages

log = logging.getLogger(__name__)

SIGN_IN_COOKIE = "vtn_sign_in"
SIGN_IN_PATH = "/console/sign-in"


def _secure(request: Request, authenticator: Authenticator) -> bool:
    return authenticator.policy.secure_cookie or request.url.scheme == "https"


def sign_in_router(authenticator: Authenticator, pages: Pages) -> APIRouter:
    router = APIRouter(prefix="/console", include_in_schema=False)

    def form(request: Request, message: str | None = None, status_code: int = 200) -> Response:
        nonce = credentials.new_csrf_token()
        response = pages.render(request, "sign_in.html", None, status_code, sign_in_nonce=nonce, message=message)
        response.set_cookie(
            SIGN_IN_COOKIE, nonce, max_age=3600, httponly=True, samesite="strict",
            secure=_secure(request, authenticator), path=SIGN_IN_PATH,
        )  # fmt: skip
        return response

    @router.get("/sign-in")
    async def sign_in_page(request: Request) -> Response:
        return form(request)

    @router.post("/sign-in")
    async def sign_in(
        request: Request, token: Annotated[str, Form(max_length=256)], csrf_token: Annotated[str, Form(max_length=256)]
    ) -> Response:
        if not credentials.same_secret(request.cookies.get(SIGN_IN_COOKIE), csrf_token):
            return form(request, "The sign-in form expired: please try again.", status.HTTP_403_FORBIDDEN)
        principal = await authenticator.from_token(token.strip())
        if principal is None:
            log.warning(
                "console sign-in refused",
                extra={"action": "sign_in_refused", "client": request.client.host if request.client else None},
            )
            return form(request, "That access token is not valid.", status.HTTP_401_UNAUTHORIZED)
        session_id, principal = await authenticator.open_session(principal)
        request.state.principal = principal  # for the audit trail
        response = RedirectResponse("/console/fleet", status.HTTP_303_SEE_OTHER)
        response.set_cookie(
            SESSION_COOKIE, session_id, max_age=int(authenticator.policy.max_seconds), httponly=True,
            samesite="strict", secure=_secure(request, authenticator), path="/",
        )  # fmt: skip
        response.delete_cookie(SIGN_IN_COOKIE, path=SIGN_IN_PATH)
        return response

    @router.post("/sign-out")
    async def sign_out(request: Request) -> Response:
        session_id = request.cookies.get(SESSION_COOKIE)
        principal = await authenticator.from_session(session_id) if session_id else None
        if principal is not None and session_id is not None:
            form_data = await request.form()
            presented = form_data.get(CSRF_FIELD)
            assert principal.session_csrf is not None
            if not credentials.same_secret(presented if isinstance(presented, str) else None, principal.session_csrf):
                return Response("missing or wrong CSRF token", status.HTTP_403_FORBIDDEN)
            request.state.principal = principal
            await authenticator.close_session(session_id)
        response = RedirectResponse(SIGN_IN_PATH, status.HTTP_303_SEE_OTHER)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    return router
