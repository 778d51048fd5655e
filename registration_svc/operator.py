"""Operator commands and queries about VENs (from the admin API or backends over Kafka)."""

from __future__ import annotations

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
from shared.db.connection import Conn
from shared.db.vens import unknown_ven_detail
from shared.oadr.profiles import traits_of
from shared.oadr.registration import TRANSPORT_SIMPLE_HTTP, CancelPartyRegistration, RequestReregistration
from shared.push_addresses import AddressRefused, PushAddressPolicy, parse_push_address

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
        return PresenceHistory(
            ven_id=query.ven_id, changes=await store.presence_history(conn, query.ven_id, query.limit)
        )
    return None


class OperatorCommands:
    """The state-changing commands, run inside the inbox transaction. `push_addresses`: where the VTN may push
    (a 2.0a VEN provisioned with a push URL must give one of those; None: the VTN pushes to no VEN)."""

    def __init__(self, push_addresses: PushAddressPolicy | None = None) -> None:
        self._push_addresses = push_addresses

    async def __call__(self, conn: Conn, envelope: Envelope) -> OperatorOutcome | None:
        command = envelope.payload
        if isinstance(command, ProvisionVen):
            if not traits_of(command.profile_name).registers_in_band:
                return await _provision_in_force(conn, command, self._push_addresses)
            return await _provision(conn, command)
        if isinstance(command, CancelVenRegistration):
            return await _cancel(conn, command.ven_id)
        if isinstance(command, RequestVenReregistration):
            return await _request_reregistration(conn, command.ven_id)
        return None


async def _provision(conn: Conn, command: ProvisionVen) -> OperatorOutcome:
    if command.transport_address is not None:
        return OperatorOutcome(status=422, detail="a 2.0b VEN gives its transport address when it registers")
    if command.ven_name is None and command.fingerprint is None:
        return OperatorOutcome(status=422, detail="give a venName, a certificate fingerprint, or both")
    ven_id = command.ven_id or new_id()
    if not await store.insert_provisioned(conn, ven_id, command.ven_name, command.fingerprint):
        return OperatorOutcome(status=409, detail="a VEN with this venID, venName or fingerprint exists already")
    await publish_registration_event(conn, RegistrationChange.PROVISIONED, ven_id, command.ven_name, None)
    return OperatorOutcome(status=201, detail="provisioned", ven=await store.view(conn, ven_id))


def _push_address_refusal(address: str, addresses: PushAddressPolicy | None) -> str | None:
    """Why the VTN cannot push to `address` (the rules a 2.0b VEN's oadrTransportAddress meets); None: it can."""
    if addresses is None:
        return "this VTN pushes to no VEN: provision the VEN without a transport_address (it pulls)"
    try:
        addresses.check_address(parse_push_address(address))
    except AddressRefused as refused:
        return str(refused)
    return None


async def _provision_in_force(
    conn: Conn, command: ProvisionVen, addresses: PushAddressPolicy | None
) -> OperatorOutcome:
    """A VEN whose profile has no registration service (2.0a) is in force once provisioned, as a registered one."""
    profile = command.profile_name.value
    if command.ven_id is None:
        return OperatorOutcome(
            status=422, detail=f"a {profile} VEN does not register: give the venID it is configured with"
        )
    address = command.transport_address
    if address is not None and (refusal := _push_address_refusal(address, addresses)):
        return OperatorOutcome(status=422, detail=refusal)
    ven_id = command.ven_id
    if not await store.provision_in_force(conn, ven_id, command.ven_name, command.fingerprint, profile, address):
        return OperatorOutcome(status=409, detail="a VEN with this venID, venName or fingerprint exists already")
    await publish_registration_event(
        conn,
        RegistrationChange.CREATED,
        ven_id,
        command.ven_name,
        None,
        profile_name=profile,
        http_pull_model=address is None,
        transport_address=address,
        transport_name=TRANSPORT_SIMPLE_HTTP,
    )
    return OperatorOutcome(status=201, detail=f"provisioned in force ({profile})", ven=await store.view(conn, ven_id))


async def _cancel(conn: Conn, ven_id: str) -> OperatorOutcome:
    record = await store.by_ven_id(conn, ven_id, lock=True)
    if record is None:
        return OperatorOutcome(status=404, detail=unknown_ven_detail([ven_id]))
    if not record.staying or (record.registration_id is None and traits_of(record.profile_name).registers_in_band):
        return OperatorOutcome(status=409, detail=f"VEN is {record.status.value}, not registered")
    if record.registration_id is None:
        # In force without a registration (a 2.0a VEN): there is no registration to tell the VEN about.
        await store.set_status(conn, ven_id, VenStatus.CANCELLED)
        await publish_registration_event(
            conn, RegistrationChange.CANCELLED, ven_id, record.ven_name, None, profile_name=record.profile_name
        )
        return OperatorOutcome(status=200, detail="cancelled", ven=await store.view(conn, ven_id))
    message = CancelPartyRegistration(request_id=new_id(), registration_id=record.registration_id, ven_id=ven_id)
    await pending.enqueue(conn, ven_id, message)
    await store.set_status(conn, ven_id, VenStatus.CANCELLING)
    await publish_registration_event(
        conn,
        RegistrationChange.CANCEL_REQUESTED,
        ven_id,
        record.ven_name,
        record.registration_id,
        profile_name=record.profile_name,
    )
    return OperatorOutcome(
        status=202,
        detail="oadrCancelPartyRegistration queued for the VEN's next poll",
        ven=await store.view(conn, ven_id),
    )


async def _request_reregistration(conn: Conn, ven_id: str) -> OperatorOutcome:
    record = await store.by_ven_id(conn, ven_id, lock=True)
    if record is None:
        return OperatorOutcome(status=404, detail=unknown_ven_detail([ven_id]))
    if not record.in_force:
        return OperatorOutcome(status=409, detail=f"VEN is {record.status.value}, not registered")
    if not traits_of(record.profile_name).registers_in_band:
        return OperatorOutcome(status=409, detail=f"a {record.profile_name} VEN does not register")
    await pending.enqueue(conn, ven_id, RequestReregistration(ven_id=ven_id), dedup_key=None)
    await publish_registration_event(
        conn,
        RegistrationChange.REREGISTRATION_REQUESTED,
        ven_id,
        record.ven_name,
        record.registration_id,
        profile_name=record.profile_name,
    )
    return OperatorOutcome(
        status=202,
        detail="oadrRequestReregistration queued for the VEN's next poll",
        ven=await store.view(conn, ven_id),
    )
