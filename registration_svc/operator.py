"""Operator commands and queries about VENs (from the admin API or backends over Kafka)."""

from __future__ import annotations

from urllib.parse import urlsplit

from shared.db.connection import Conn

from registration_svc import store
from registration_svc.policy import new_id
from registration_svc.records import VenStatus
from registration_svc.ven_requests import publish_registration_event
from shared.contract.backend_events import RegistrationChange
from shared.contract.envelope import Envelope
from shared.contract.operator import (
    CancelVenRegistration,
    GetVen,
    ListVens,
    OperatorOutcome,
    ProvisionVen,
    RequestVenReregistration,
    VenList,
)
from shared.db import pending
from shared.oadr.profiles import traits_of
from shared.oadr.registration import CancelPartyRegistration, RequestReregistration


QUERIES = (ListVens, GetVen)


async def handle_query(conn: Conn, envelope: Envelope) -> OperatorOutcome | VenList | None:
    query = envelope.payload
    if isinstance(query, ListVens):
        return VenList(vens=tuple(await store.list_views(conn, query)))
    if isinstance(query, GetVen):
        view = await store.view(conn, query.ven_id)
        if view is None:
            return OperatorOutcome(status=404, detail="no such VEN")
        return OperatorOutcome(status=200, detail="OK", ven=view)
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
    if not traits_of(command.profile_name).registers_in_band:
        return await _provision_in_force(conn, command)
    if command.transport_address is not None:
        return OperatorOutcome(status=422, detail="a 2.0b VEN gives its transport address when it registers")
    if command.ven_name is None and command.fingerprint is None:
        return OperatorOutcome(status=422, detail="give a venName, a certificate fingerprint, or both")
    ven_id = command.ven_id or new_id()
    if not await store.insert_provisioned(conn, ven_id, command.ven_name, command.fingerprint):
        return OperatorOutcome(status=409, detail="a VEN with this venID, venName or fingerprint exists already")
    await publish_registration_event(conn, RegistrationChange.PROVISIONED, ven_id, command.ven_name, None)
    return OperatorOutcome(status=201, detail="provisioned", ven=await store.view(conn, ven_id))


def _push_address_problem(address: str) -> str | None:
    parts = urlsplit(address)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "transport_address must be the VEN's base URL, http:// or https://"
    return None


async def _provision_in_force(conn: Conn, command: ProvisionVen) -> OperatorOutcome:
    """A VEN whose profile has no registration service (2.0a) is in force once provisioned, as a registered one."""
    profile = command.profile_name.value
    if command.ven_id is None:
        return OperatorOutcome(status=422, detail=f"a {profile} VEN does not register: give the venID it is configured with")
    if command.transport_address is not None and (problem := _push_address_problem(command.transport_address)):
        return OperatorOutcome(status=422, detail=problem)
    ven_id = command.ven_id
    if not await store.provision_in_force(
        conn, ven_id, command.ven_name, command.fingerprint, profile, command.transport_address
    ):
        return OperatorOutcome(status=409, detail="a VEN with this venID, venName or fingerprint exists already")
    await publish_registration_event(conn, RegistrationChange.CREATED, ven_id, command.ven_name, None, profile)
    return OperatorOutcome(status=201, detail=f"provisioned in force ({profile})", ven=await store.view(conn, ven_id))


async def _cancel(conn: Conn, ven_id: str) -> OperatorOutcome:
    record = await store.by_ven_id(conn, ven_id, lock=True)
    if record is None:
        return OperatorOutcome(status=404, detail="no such VEN")
    if record.status is not VenStatus.REGISTERED:
        return OperatorOutcome(status=409, detail=f"VEN is {record.status.value}, not registered")
    if record.registration_id is None:
        # In force without a registration (a 2.0a VEN): there is no registration to tell the VEN about.
        await store.set_status(conn, ven_id, VenStatus.CANCELLED)
        await publish_registration_event(
            conn, RegistrationChange.CANCELLED, ven_id, record.ven_name, None, record.profile_name
        )
        return OperatorOutcome(status=200, detail="cancelled", ven=await store.view(conn, ven_id))
    message = CancelPartyRegistration(request_id=new_id(), registration_id=record.registration_id, ven_id=ven_id)
    await pending.enqueue(conn, ven_id, message)
    await store.set_status(conn, ven_id, VenStatus.CANCELLING)
    await publish_registration_event(
        conn, RegistrationChange.CANCEL_REQUESTED, ven_id, record.ven_name, record.registration_id, record.profile_name
    )
    return OperatorOutcome(status=202, detail="oadrCancelPartyRegistration queued for the VEN's next poll", ven=await store.view(conn, ven_id))


async def _request_reregistration(conn: Conn, ven_id: str) -> OperatorOutcome:
    record = await store.by_ven_id(conn, ven_id, lock=True)
    if record is None:
        return OperatorOutcome(status=404, detail="no such VEN")
    if not record.is_registered:
        return OperatorOutcome(status=409, detail=f"VEN is {record.status.value}, not registered")
    if not traits_of(record.profile_name).registers_in_band:
        return OperatorOutcome(status=409, detail=f"a {record.profile_name} VEN does not register")
    await pending.enqueue(conn, ven_id, RequestReregistration(ven_id=ven_id), dedup_key=None)
    await publish_registration_event(
        conn, RegistrationChange.REREGISTRATION_REQUESTED, ven_id, record.ven_name, record.registration_id,
        record.profile_name,
    )
    return OperatorOutcome(status=202, detail="oadrRequestReregistration queued for the VEN's next poll", ven=await store.view(conn, ven_id))

