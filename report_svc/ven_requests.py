"""Answers to the EiReport messages a VEN sends."""

from __future__ import annotations

import asyncpg

from shared.db.connection import Conn

from shared.contract.envelope import Envelope
from shared.contract.ven_traffic import VenReply, VenRequest
from shared.db.vens import is_registered
from shared.oadr import answers
from shared.oadr.common import ResponseCode
from shared.oadr.messages import VtnMessage
from shared.oadr.report import (
    CanceledReport,
    CancelReport,
    CreatedReport,
    CreateReport,
    RegisteredReport,
    RegisterReport,
    UpdatedReport,
    UpdateReport,
)

NO_SUCH_REQUEST = "no such reportRequestID on this VTN"


async def handle_report_request(conn: Conn, envelope: Envelope) -> VenReply | None:
    request = envelope.payload
    if not isinstance(request, VenRequest):
        return None
    message = request.message
    ven_id = getattr(message, "ven_id", None)
    if ven_id is None or not await is_registered(conn, ven_id):
        return VenReply(message=answers.response(ResponseCode.INVALID_ID, "unknown or unregistered venID", ven_id))
    return VenReply(message=answer(message, ven_id))


def answer(message: object, ven_id: str) -> VtnMessage:
    if isinstance(message, RegisterReport):
        return RegisteredReport(response=answers.ok(message.request_id), ven_id=ven_id, report_requests=())
    if isinstance(message, UpdateReport):
        return UpdatedReport(response=answers.error(ResponseCode.INVALID_ID, NO_SUCH_REQUEST, message.request_id), ven_id=ven_id)
    if isinstance(message, CreateReport):
        return CreatedReport(
            response=answers.error(ResponseCode.INVALID_ID, "this VTN offers no reports yet", message.request_id), ven_id=ven_id
        )
    if isinstance(message, CancelReport):
        return CanceledReport(response=answers.error(ResponseCode.INVALID_ID, NO_SUCH_REQUEST, message.request_id), ven_id=ven_id)
    if isinstance(message, (CreatedReport, RegisteredReport, UpdatedReport, CanceledReport)):
        return answers.response(ResponseCode.INVALID_ID, "no outstanding report exchange with this VEN", ven_id)
    return answers.response(ResponseCode.BAD_REQUEST, "not an EiReport message", ven_id)
