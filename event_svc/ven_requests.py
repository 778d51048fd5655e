"""Answers to the EiEvent and EiOpt messages a VEN sends."""

from __future__ import annotations

import asyncpg

from shared.db.connection import Conn

from shared.contract.envelope import Envelope
from shared.contract.ven_traffic import VenReply, VenRequest
from shared.db.vens import is_registered
from shared.oadr import answers
from shared.oadr.common import ResponseCode
from shared.oadr.event import CreatedEvent, DistributeEvent, RequestEvent
from shared.oadr.messages import VtnMessage
from shared.oadr.opt import CanceledOpt, CancelOpt, CreatedOpt, CreateOpt


class EventRequestHandler:
    def __init__(self, vtn_id: str) -> None:
        self._vtn_id = vtn_id

    async def __call__(self, conn: Conn, envelope: Envelope) -> VenReply | None:
        request = envelope.payload
        if not isinstance(request, VenRequest):
            return None
        message = request.message
        ven_id = getattr(message, "ven_id", None)
        if ven_id is None or not await is_registered(conn, ven_id):
            return VenReply(message=answers.response(ResponseCode.INVALID_ID, "unknown or unregistered venID", ven_id))
        return VenReply(message=self._answer(message))

    def _answer(self, message: object) -> VtnMessage:
        if isinstance(message, RequestEvent):
            # The VTN holds no events yet (event storage comes with the events issue): the full set is empty.
            return DistributeEvent(
                response=answers.ok(message.request_id), request_id=message.request_id, vtn_id=self._vtn_id, events=()
            )
        if isinstance(message, CreatedEvent):
            return answers.response(ResponseCode.INVALID_ID, "no such eventID on this VTN", message.ven_id)
        if isinstance(message, CreateOpt):
            return CreatedOpt(
                response=answers.error(ResponseCode.NOT_ALLOWED, "this VTN does not take opt schedules yet", message.request_id),
                opt_id=message.opt_id,
            )
        if isinstance(message, CancelOpt):
            return CanceledOpt(
                response=answers.error(ResponseCode.INVALID_ID, "no such optID on this VTN", message.request_id),
                opt_id=message.opt_id,
            )
        return answers.response(ResponseCode.BAD_REQUEST, "not an EiEvent or EiOpt message", getattr(message, "ven_id", None))
