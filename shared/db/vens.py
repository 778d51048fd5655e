"""Read-only look-ups of the VEN directory (owned by registration_svc) for the other services."""

from __future__ import annotations

from collections.abc import Collection

from shared.contract.envelope import Envelope
from shared.contract.ven_traffic import VenReply, VenRequest
from shared.db.connection import Conn
from shared.oadr import answers
from shared.oadr.common import ResponseCode
from shared.oadr.messages import VenMessage


async def is_registered(conn: Conn, ven_id: str) -> bool:
    """True for a VEN whose registration is in force (venIDs compare case-sensitively)."""
    return bool(
        await conn.fetchval(
            "SELECT true FROM vens WHERE ven_id = $1 AND status IN ('registered', 'cancelling')", ven_id
        )
    )


async def registered_among(conn: Conn, ven_ids: Collection[str]) -> set[str]:
    """Those of `ven_ids` whose registration is in force (one query for a batch of requests)."""
    rows = await conn.fetch(
        "SELECT ven_id FROM vens WHERE ven_id = ANY($1::text[]) AND status IN ('registered', 'cancelling')",
        list(ven_ids),
    )
    return {row["ven_id"] for row in rows}


def unregistered(ven_id: str | None) -> VenReply:
    """The answer to a request from a venID that is not registered (452)."""
    return VenReply(message=answers.response(ResponseCode.INVALID_ID, "unknown or unregistered venID", ven_id))


def in_another_profile(ven_id: str, profile: str, request_profile: str) -> VenReply:
    """The answer to a request in another OpenADR profile than the VEN's (463): a VEN is served in its own."""
    return VenReply(
        message=answers.response(
            ResponseCode.NOT_REGISTERED_OR_AUTHORIZED,
            f"venID {ven_id} is an OpenADR {profile} VEN, and this request is {request_profile}",
            ven_id,
        )
    )


async def profile_in_force(conn: Conn, ven_id: str) -> str | None:
    """The profile of a VEN whose registration is in force; None when there is no such VEN."""
    profile: str | None = await conn.fetchval(
        "SELECT profile_name FROM vens WHERE ven_id = $1 AND status IN ('registered', 'cancelling')", ven_id
    )
    return profile


async def registered_request(conn: Conn, envelope: Envelope) -> tuple[VenMessage, str] | VenReply | None:
    """A VEN request's message and venID when that venID's registration is in force, in the profile the
    request came in; the 452 answer when it is not in force (a venID in the wrong case is unknown), 463 when the
    VEN speaks the other profile; None for an envelope that is no VEN request."""
    request = envelope.payload
    if not isinstance(request, VenRequest):
        return None
    ven_id = getattr(request.message, "ven_id", None)
    profile = None if ven_id is None else await profile_in_force(conn, ven_id)
    if ven_id is None or profile is None:
        return unregistered(ven_id)
    if profile != request.context.profile:
        return in_another_profile(ven_id, profile, request.context.profile)
    return request.message, ven_id
