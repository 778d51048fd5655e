"""The VEN-facing FastAPI app: the five OpenADR 2.0b simple-HTTP endpoints."""

from __future__ import annotations

import logging
import time

from fastapi import FastAPI, Request, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from gateway.answers import XML_CONTENT_TYPE, HttpAnswer, oadr_error
from gateway.exchange import OadrExchange
from gateway.identity import request_context
from gateway.routing import OADR_PATH_PREFIX, SERVICES
from shared.oadr.common import ResponseCode

log = logging.getLogger(__name__)


class BodyTooLarge(Exception):
    pass


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refusing more than `limit` bytes without reading them all."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _to_response(answer: HttpAnswer) -> Response:
    return Response(content=answer.body, status_code=answer.status, media_type=XML_CONTENT_TYPE, headers=answer.headers)


def create_oadr_app(exchange: OadrExchange, max_body_bytes: int) -> FastAPI:
    app = FastAPI(
        title="OpenADR 2.0b VTN (simple HTTP)",
        description="VENs POST oadrPayload documents here. Every answer is an oadrPayload (application/xml).",
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )

    async def exchange_endpoint(request: Request) -> Response:
        service = request.url.path.rsplit("/", 1)[-1]
        started = time.perf_counter()
        try:
            body = await read_body(request, max_body_bytes)
        except BodyTooLarge:
            answer = oadr_error(413, ResponseCode.BAD_REQUEST, f"request body larger than {max_body_bytes} bytes")
        else:
            answer = await exchange.handle(service, body, request_context(request.scope))
        quiet = service == "OadrPoll" and answer.status == 200
        if log.isEnabledFor(logging.DEBUG if quiet else logging.INFO):
            log.log(
                logging.DEBUG if quiet else logging.INFO,
                "request",
                extra={
                    "action": "oadr_request",
                    "service": service,
                    "status": answer.status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
        return _to_response(answer)

    for service in SERVICES:
        app.add_api_route(f"{OADR_PATH_PREFIX}/{service}", exchange_endpoint, methods=["POST"], name=service)

    @app.exception_handler(StarletteHTTPException)
    async def http_error_as_oadr(request: Request, exc: StarletteHTTPException) -> Response:
        """Wrong path or method: still an OpenADR document, so a VEN can read the error."""
        return _to_response(oadr_error(exc.status_code, ResponseCode.BAD_REQUEST, str(exc.detail)))

    return app
