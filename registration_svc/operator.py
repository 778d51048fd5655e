"""Operator commands and queries about VENs (from the admin API or backends over Kafka)."""

from __future__ import annotations


from shared.db.connection import Conn

from registration_svc import store
from registration_svc.policy import new_id
from registration_svc.records import VenStatus
from registration_svc.ven_requests import publish_registration_event
from shared.contract.backend_events import RegistrationChange
from shared.contract.envelope import Envelope
from shared.contract.operator import (
    CancelVenRegistration,
    CountVens,
    GetVen,
    ListPresenceHistory,
    ListVens,
    OperatorOutcome,
    PresenceHistory,
    ProvisionVen,
    RequestVenReregistration,
    VenCounts,
    VenList,
)
from shared.db import pending
from shared.db.vens import unknown_ven_detail
from shared.oadr.registration import CancelPartyRegistration, RequestReregistration


QUERIES = (ListVens, GetVen, CountVens, ListPresenceHistory)


async def handle_query(
    conn: Conn, envelope: Envelope
) -> OperatorOutcome | VenList | VenCounts | PresenceHistory | None:
    query = envelope.payload
    if isinstance(query, ListVens):
        return VenList(vens=tuple(await store.list_views(conn, query)))
    if isinstance(query, GetVen):
        view = await store.view(conn, query.ven_id)
        if view is None:
            return OperatorOutcome(status=404, detail=unknown_ven_detail([query.ven_id]))
        return OperatorOutcome(status=200, detail="OK", ven=view)
    if isinstance(query, CountVens):
        return await store.counts(conn)
    if isinstance(query, ListPresenceHistory):
        return PresenceHistory(ven_id=query.ven_id, changes=await store.presence_history(conn, query.ven_id, query.limit))
    return None


async def handle_command(conn: Conn, envelope: Envelope) -> OperatorOutcome | None:
    command = envelope.payload
    if isinstance(command, ProvisionVen):
        return await _provision(conn, command)
    if isinstance(command, CancelVenRegistration):
        return await _cancel(conn, command.ven_id)
    if isinstance(command, RequestVenReregistration):
        return await _request_reregistration(conn, command.ven_id)
    return None


async def _provision(conn: Conn, command: ProvisionVen) -> OperatorOutcome:
    if command.ven_name is None and command.fingerprint is None:
        return OperatorOutcome(status=422, detail="give a venName, a certificate fingerprint, or both")
    ven_id = command.ven_id or new_id()
    if not await store.insert_provisioned(conn, ven_id, command.ven_name, command.fingerprint):
        return OperatorOutcome(status=409, detail="a VEN with this venID, venName or fingerprint exists already")
    await publish_registration_event(conn, RegistrationChange.PROVISIONED, ven_id, command.ven_name, None)
    return OperatorOutcome(status=201, detail="provisioned", ven=await store.view(conn, ven_id))


async def _cancel(conn: Conn, ven_id: str) -> OperatorOutcome:
    record = await store.by_ven_id(conn, ven_id, lock=True)
    if record is None:
        return OperatorOutcome(status=404, detail=unknown_ven_detail([ven_id]))
    if not record.staying or record.registration_id is None:
        return OperatorOutcome(status=409, detail=f"VEN is {record.status.value}, not registered")
    message = CancelPartyRegistration(request_id=new_id(), registration_id=record.registration_id, ven_id=ven_id)
    await pending.enqueue(conn, ven_id, message)
    await store.set_status(conn, ven_id, VenStatus.CANCELLING)
    await publish_registration_event(conn, RegistrationChange.CANCEL_REQUESTED, ven_id, record.ven_name, record.registration_id)
    return OperatorOutcome(status=202, detail="oadrCancelPartyRegistration queued for the VEN's next poll", ven=await store.view(conn, ven_id))


async def _request_reregistration(conn: Conn, ven_id: str) -> OperatorOutcome:
    record = await store.by_ven_id(conn, ven_id, lock=True)
    if record is None:
        return OperatorOutcome(status=404, detail=unknown_ven_detail([ven_id]))
    if not record.in_force:
        return OperatorOutcome(status=409, detail=f"VEN is {record.status.value}, not registered")
    await pending.enqueue(conn, ven_id, RequestReregistration(ven_id=ven_id), dedup_key=None)
    await publish_registration_event(
        conn, RegistrationChange.REREGISTRATION_REQUESTED, ven_id, record.ven_name, record.registration_id
    )
    return OperatorOutcome(status=202, detail="oadrRequestReregistration queued for the VEN's next poll", ven=await store.view(conn, ven_id))

