"""The VEN-facing HTTP app: the five OpenADR 2.0b simple-HTTP endpoints, and 2.0a's EiEvent endpoint.

The endpoints are served by a lean ASGI layer in front of a FastAPI app: a poll is the overwhelmingly
common request and FastAPI's per-request machinery (routing, dependency resolution, middleware stack)
would cost more than all of the OpenADR work. Anything that is not a POST to one of the endpoints
falls through to FastAPI, which answers wrong paths and methods with an OpenADR error document. Every
answer at an endpoint is a document of its profile.

An answer that carries one of the VEN's pending messages is not written to a VEN that has closed its
connection meanwhile (its own timeout was shorter than the VTN's answer took): the message goes back in the
VEN's queue instead (gateway.late_replies). uvicorn would drop the answer silently.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from fastapi import FastAPI, Request, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from gateway.answers import XML_CONTENT_TYPE, HttpAnswer, oadr_error
from gateway.exchange import OadrExchange
from gateway.late_replies import UndeliveredReporter
from gateway.profile_a_exchange import ProfileAExchange
from gateway.refusals import SecurityRefusals
from gateway.routing import ENDPOINTS, OADR_PATH_PREFIX, PROFILE_A_PATH, SERVICES
from gateway.security.identity import IdentityRefused, request_context
from shared.contract.ven_traffic import RequestContext
from shared.oadr.common import ResponseCode
from shared.oadr.profiles import OadrProfile

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Identify = Callable[[Scope], RequestContext]

_CONTENT_TYPE_HEADER = (b"content-type", XML_CONTENT_TYPE.encode())


class BodyTooLarge(Exception):
    pass


class ClientDisconnected(Exception):
    pass


async def read_body(scope: Scope, receive: Receive, limit: int) -> bytes:
    """The request body, refusing more than `limit` bytes without reading them all."""
    for name, value in scope["headers"]:
        if name == b"content-length" and value.isdigit() and int(value) > limit:
            raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnected
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def client_gone(receive: Receive) -> bool:
    """Whether the client has closed the connection, its request having been read whole. A server answers
    receive() then with http.disconnect at once and otherwise only when the client goes, so one turn of the
    event loop tells."""
    waiting = asyncio.ensure_future(receive())
    await asyncio.sleep(0)
    if waiting.done():
        return waiting.result().get("type") == "http.disconnect"
    waiting.cancel()
    await asyncio.gather(waiting, return_exceptions=True)
    return False


async def send_answer(send: Send, answer: HttpAnswer) -> None:
    headers = [_CONTENT_TYPE_HEADER, (b"content-length", str(len(answer.body)).encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in answer.headers.items()]
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": answer.body})


Handle = Callable[[bytes, RequestContext], Awaitable[HttpAnswer]]


@dataclass(frozen=True, slots=True)
class Door:
    """One OpenADR endpoint: its profile, its label, and what handles a request's body there."""

    profile: OadrProfile
    name: str
    handle: Handle


class OadrEndpoints:
    """ASGI app: POSTs to the OpenADR endpoints here, everything else to `fallback`."""

    def __init__(
        self,
        exchange: OadrExchange,
        max_body_bytes: int,
        fallback: FastAPI,
        identify: Identify = request_context,
        undelivered: UndeliveredReporter | None = None,
        refusals: SecurityRefusals | None = None,
        profile_a: ProfileAExchange | None = None,
    ) -> None:
        self._refusals = refusals or SecurityRefusals()
        self._undelivered = undelivered
        self._identify = identify
        self._max_body_bytes = max_body_bytes
        self._fallback = fallback
        self._doors = {
            f"{OADR_PATH_PREFIX}/{service}": Door(OadrProfile.B, service, partial(exchange.handle, service))
            for service in SERVICES
        }
        if profile_a is not None:
            self._doors[PROFILE_A_PATH] = Door(OadrProfile.A, ENDPOINTS[PROFILE_A_PATH], profile_a.handle)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        door = self._doors.get(scope.get("path", "")) if scope["type"] == "http" else None
        if door is None:
            await self._fallback(scope, receive, send)
            return
        if scope["method"] != "POST":
            refusal = oadr_error(
                405, ResponseCode.BAD_REQUEST, "OpenADR endpoints take POST", None, door.profile, Allow="POST"
            )
            await send_answer(send, refusal)
            return
        started = time.perf_counter()
        try:
            body = await read_body(scope, receive, self._max_body_bytes)
        except BodyTooLarge:
            answer = oadr_error(
                413,
                ResponseCode.BAD_REQUEST,
                f"request body larger than {self._max_body_bytes} bytes",
                None,
                door.profile,
            )
        except ClientDisconnected:
            return
        else:
            try:
                context = self._identify(scope)
            except IdentityRefused as exc:
                self._refusals.note(exc.reason, str(exc))
                answer = oadr_error(403, ResponseCode.NOT_REGISTERED_OR_AUTHORIZED, str(exc), None, door.profile)
            else:
                answer = await door.handle(body, context)
                if await self._kept_back(answer, receive):
                    return
        await send_answer(send, answer)
        # Answered requests are counted and timed by gateway.metrics; the log is for the ones that were not.
        level = logging.DEBUG if answer.status == 200 else logging.INFO
        if log.isEnabledFor(level):
            log.log(
                level,
                "request",
                extra={
                    "action": "oadr_request",
                    "service": door.name,
                    "status": answer.status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )

    async def _kept_back(self, answer: HttpAnswer, receive: Receive) -> bool:
        """True when the answer carries a pending message the VEN has gone away from: it goes back instead."""
        carried = answer.carries
        if carried is None or self._undelivered is None or not await client_gone(receive):
            return False
        self._undelivered.report(carried.ven_id, carried.pending_id, "connection closed before the answer")
        return True


def _fallback_app() -> FastAPI:
    app = FastAPI(title="OpenADR 2.0b VTN (simple HTTP)", openapi_url=None, docs_url=None, redoc_url=None)

    @app.exception_handler(StarletteHTTPException)
    async def http_error_as_oadr(request: Request, exc: StarletteHTTPException) -> Response:
        """Wrong path or method: still an OpenADR document, so a VEN can read the error."""
        answer = oadr_error(exc.status_code, ResponseCode.BAD_REQUEST, str(exc.detail))
        return Response(content=answer.body, status_code=answer.status, media_type=XML_CONTENT_TYPE)

    return app


def create_oadr_app(
    exchange: OadrExchange,
    max_body_bytes: int,
    identify: Identify = request_context,
    undelivered: UndeliveredReporter | None = None,
    refusals: SecurityRefusals | None = None,
    profile_a: ProfileAExchange | None = None,
) -> OadrEndpoints:
    return OadrEndpoints(exchange, max_body_bytes, _fallback_app(), identify, undelivered, refusals, profile_a)
