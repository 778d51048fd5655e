"""Read-only look-ups of the VEN directory (owned by registration_svc) for the other services.

A VEN is *known* once the directory has a row for it (provisioned, registered, or registered once and
cancelled since): the admin API answers 404 for any other venID, in every route that takes one. A VEN is
*registered* while its registration is in force.
"""

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


def unknown_ven_detail(ven_ids: Collection[str]) -> str:
    """The detail of the 404 answer naming venIDs the VTN does not know, worded the same by every service."""
    return "no VEN with venID " + ", ".join(map(repr, sorted(ven_ids)))


async def unknown_vens(conn: Conn, ven_ids: Collection[str]) -> str | None:
    """None when every one of `ven_ids` is known; else the 404 detail naming the unknown ones (venIDs
    compare case-sensitively)."""
    wanted = set(ven_ids)
    if not wanted:
        return None
    rows = await conn.fetch("SELECT ven_id FROM vens WHERE ven_id = ANY($1::text[])", list(wanted))
    unknown = wanted - {row["ven_id"] for row in rows}
    return unknown_ven_detail(unknown) if unknown else None


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


async def registered_request(conn: Conn, envelope: Envelope) -> tuple[VenMessage, str] | VenReply | None:
    """A VEN request's message and venID when that venID's registration is in force; the 452 answer when
    not (a venID in the wrong case is unknown); None for an envelope that is no VEN request."""
    request = envelope.payload
    if not isinstance(request, VenRequest):
        return None
    ven_id = getattr(request.message, "ven_id", None)
    if ven_id is None or not await is_registered(conn, ven_id):
        return unregistered(ven_id)
    return request.message, ven_id
