"""Who may register: the operator's choice of accept-all, pre-provisioned only, or their own handler."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from registration_svc import store
from registration_svc.records import VenRecord
from shared.db.connection import Conn
from shared.oadr.common import ResponseCode
from shared.oadr.registration import CreatePartyRegistration
from shared.plugins import call_handler
from shared.settings import RegistrationPolicyName


@dataclass(frozen=True)
class Accepted:
    ven_id: str
    registration_id: str


@dataclass(frozen=True)
class Refused:
    response_code: int
    reason: str


Decision = Accepted | Refused


def new_id() -> str:
    return uuid.uuid4().hex


class RegistrationPolicy(Protocol):
    async def decide(self, conn: Conn, request: CreatePartyRegistration, fingerprint: str | None) -> Decision: ...


class AcceptAll:
    """Development and open deployments: every VEN is welcome; a known venID or venName keeps its venID."""

    async def decide(self, conn: Conn, request: CreatePartyRegistration, fingerprint: str | None) -> Decision:
        holder = await store.by_fingerprint(conn, fingerprint) if fingerprint is not None else None
        if holder is not None:  # the certificate already identifies a VEN: it keeps its venID
            if request.ven_id is not None and request.ven_id != holder.ven_id:
                return Refused(ResponseCode.INVALID_ID, "this certificate is registered with another venID")
            return Accepted(holder.ven_id, new_id())
        named = await store.by_ven_name(conn, request.ven_name) if request.ven_name else None
        if request.ven_id is not None:
            if named is not None and named.ven_id != request.ven_id:
                return Refused(ResponseCode.INVALID_ID, "venName belongs to another venID")
            return Accepted(request.ven_id, new_id())
        return Accepted(named.ven_id if named is not None else new_id(), new_id())


class ProvisionedOnly:
    """Only VENs the operator provisioned, found by certificate fingerprint, venID or venName."""

    async def decide(self, conn: Conn, request: CreatePartyRegistration, fingerprint: str | None) -> Decision:
        record = await self._find(conn, request, fingerprint)
        if record is None or not record.provisioned:
            return Refused(ResponseCode.NOT_REGISTERED_OR_AUTHORIZED, "VEN is not provisioned on this VTN")
        if request.ven_id is not None and request.ven_id != record.ven_id:
            return Refused(ResponseCode.INVALID_ID, "venID does not match the provisioned VEN")
        if record.fingerprint is not None and record.fingerprint != fingerprint:
            return Refused(ResponseCode.NOT_REGISTERED_OR_AUTHORIZED, "certificate does not match the provisioned VEN")
        if record.ven_name is not None and request.ven_name is not None and record.ven_name != request.ven_name:
            return Refused(ResponseCode.NOT_REGISTERED_OR_AUTHORIZED, "venName does not match the provisioned VEN")
        return Accepted(record.ven_id, new_id())

    @staticmethod
    async def _find(conn: Conn, request: CreatePartyRegistration, fingerprint: str | None) -> VenRecord | None:
        if fingerprint is not None and (found := await store.by_fingerprint(conn, fingerprint)) is not None:
            return found
        if request.ven_id is not None and (found := await store.by_ven_id(conn, request.ven_id)) is not None:
            return found
        if request.ven_name is not None:
            return await store.by_ven_name(conn, request.ven_name)
        return None


def registration_info(request: CreatePartyRegistration, fingerprint: str | None) -> dict[str, Any]:
    """The dict OpenLEADR hands to on_create_party_registration (same keys), plus the fingerprint."""
    info = request.model_dump(exclude={"message_type"})
    info["fingerprint"] = fingerprint
    return info


class HandlerPolicy:
    """An OpenLEADR-style `on_create_party_registration(registration_info)` returning
    `(ven_id, registration_id)` to accept or `False`/`None` to refuse."""

    def __init__(self, handler: Callable[..., Any]) -> None:
        self._handler = handler

    async def decide(self, conn: Conn, request: CreatePartyRegistration, fingerprint: str | None) -> Decision:
        result = await call_handler(self._handler, registration_info(request, fingerprint))
        if result is False or result is None:
            return Refused(ResponseCode.NOT_REGISTERED_OR_AUTHORIZED, "registration refused by the VTN's policy")
        if not (
            isinstance(result, tuple | list) and len(result) == 2 and all(isinstance(v, str) and v for v in result)
        ):
            raise TypeError("on_create_party_registration must return (ven_id, registration_id) or False")
        if request.ven_id is not None and result[0] != request.ven_id:
            return Refused(ResponseCode.INVALID_ID, "venID does not match the one the VTN assigns")
        return Accepted(result[0], result[1])


def build_policy(name: RegistrationPolicyName, handler: Callable[..., Any] | None) -> RegistrationPolicy:
    if name is RegistrationPolicyName.ACCEPT_ALL:
        return AcceptAll()
    if name is RegistrationPolicyName.PROVISIONED_ONLY:
        return ProvisionedOnly()
    if handler is None:
        raise ValueError("the handler policy needs on_create_party_registration")
    return HandlerPolicy(handler)
