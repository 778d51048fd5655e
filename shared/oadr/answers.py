"""Builders of the VTN's generic answers: an eiResponse, and a bare oadrResponse."""

from __future__ import annotations

from shared.oadr.common import EiResponse, ResponseCode
from shared.oadr.registration import Response


def ok(request_id: str | None) -> EiResponse:
    return EiResponse(response_code=ResponseCode.OK, response_description="OK", request_id=request_id)


def error(code: int, description: str, request_id: str | None) -> EiResponse:
    return EiResponse(response_code=code, response_description=description, request_id=request_id)


def response(code: int, description: str, ven_id: str | None, request_id: str | None = None) -> Response:
    return Response(response=error(code, description, request_id), ven_id=ven_id)


def nothing_pending(ven_id: str) -> Response:
    """The answer to an oadrPoll when nothing waits for the VEN."""
    return response(ResponseCode.OK, "OK", ven_id)
