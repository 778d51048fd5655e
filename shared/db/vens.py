"""Read-only look-ups of the VEN directory (owned by registration_svc) for the other services, and the VEN a
request speaks for (the rule: shared.ven_identity), found in the same single query as its registration.

A VEN is *known* once the directory has a row for it (provisioned, registered, or registered once and
cancelled since): the admin API answers 404 for any other venID, in every route that takes one. A VEN is
*registered* while its registration is in force (the SQL function `registration_in_force`, migration 0015:
registered, or being cancelled and not told yet).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass

from shared.contract.envelope import Envelope
from shared.contract.ven_traffic import RequestContext, VenReply, VenRequest
from shared.db.connection import Conn
from shared.oadr import answers
from shared.oadr.common import ResponseCode
from shared.oadr.messages import VenMessage, VtnMessage
from shared.ven_identity import SpeakerRefused, certificate_speaker

_IN_FORCE = "registration_in_force(status)"  # SQL function of migration 0015


@dataclass(frozen=True)
class Speaker:
    """The VEN a request speaks for (None: no certificate and no venID, in development), whether its
    registration is in force, and its OpenADR profile (None: not known)."""

    ven_id: str | None
    registered: bool
    profile: str | None = None


async def is_registered(conn: Conn, ven_id: str) -> bool:
    """True for a VEN whose registration is in force (venIDs compare case-sensitively)."""
    return bool(await conn.fetchval(f"SELECT true FROM vens WHERE ven_id = $1 AND {_IN_FORCE}", ven_id))


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
    return set(await _profiles_in_force(conn, ven_ids))


async def _profiles_in_force(conn: Conn, ven_ids: Collection[str]) -> dict[str, str]:
    """The profile of each of `ven_ids` whose registration is in force."""
    rows = await conn.fetch(
        f"SELECT ven_id, profile_name FROM vens WHERE ven_id = ANY($1::text[]) AND {_IN_FORCE}", list(ven_ids)
    )
    return {row["ven_id"]: row["profile_name"] for row in rows}


async def _bound_to(conn: Conn, fingerprints: Collection[str]) -> dict[str, Speaker]:
    rows = await conn.fetch(
        f"SELECT fingerprint, ven_id, {_IN_FORCE} AS registered, profile_name FROM vens"
        " WHERE fingerprint = ANY($1::text[])",
        list(fingerprints),
    )
    return {row["fingerprint"]: Speaker(row["ven_id"], row["registered"], row["profile_name"]) for row in rows}


def _speaker(
    named: str | None, fingerprint: str | None, bound: dict[str, Speaker], registered: dict[str, str]
) -> Speaker | SpeakerRefused:
    if fingerprint is None:
        return Speaker(named, named is not None and named in registered, registered.get(named or ""))
    holder = bound.get(fingerprint)
    speaking = certificate_speaker(named, holder.ven_id if holder is not None else None)
    if isinstance(speaking, SpeakerRefused):
        return speaking
    assert holder is not None
    return holder


async def speakers_of(
    conn: Conn, requests: Sequence[tuple[str | None, RequestContext]]
) -> list[Speaker | SpeakerRefused]:
    """For each (venID named, context): the VEN the request speaks for, or why it may not; two queries for any
    number of requests."""
    fingerprints = {context.fingerprint for _, context in requests if context.fingerprint is not None}
    named = {ven_id for ven_id, context in requests if ven_id is not None and context.fingerprint is None}
    bound = await _bound_to(conn, fingerprints) if fingerprints else {}
    registered = await _profiles_in_force(conn, named) if named else {}
    return [_speaker(ven_id, context.fingerprint, bound, registered) for ven_id, context in requests]


async def speaker_of(conn: Conn, named_ven_id: str | None, context: RequestContext) -> Speaker | SpeakerRefused:
    """The VEN one request speaks for, or why it may not (one query)."""
    if context.fingerprint is None:
        if named_ven_id is None:
            return Speaker(None, False)
        return _speaker(named_ven_id, None, {}, await _profiles_in_force(conn, [named_ven_id]))
    return _speaker(named_ven_id, context.fingerprint, await _bound_to(conn, [context.fingerprint]), {})


def refused(refusal: SpeakerRefused, ven_id: str | None) -> VenReply:
    return VenReply(message=answers.response(refusal.response_code, refusal.description, ven_id))


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


def registered_speaker(
    speaker: Speaker | SpeakerRefused, named_ven_id: str | None, request_profile: str | None = None
) -> str | VenReply:
    """The registered VEN a request speaks for, or the answer refusing it: 463 for a certificate that may not
    speak for the VEN, 452 for an unknown or unregistered one (a venID in the wrong case is unknown), 463 for a
    request in another OpenADR profile than the VEN's (`request_profile`: a VEN is served in its own only)."""
    if isinstance(speaker, SpeakerRefused):
        return refused(speaker, named_ven_id)
    if speaker.ven_id is None or not speaker.registered:
        return unregistered(speaker.ven_id if speaker.ven_id is not None else named_ven_id)
    if request_profile is not None and speaker.profile is not None and speaker.profile != request_profile:
        return in_another_profile(speaker.ven_id, speaker.profile, request_profile)
    return speaker.ven_id


async def answer_registered(
    conn: Conn, envelope: Envelope, answer: Callable[[VenMessage, str], Awaitable[VtnMessage]]
) -> VenReply | None:
    """The reply to a VEN request: `answer`'s to its message and the registered VEN it speaks for, or the answer
    refusing it; None for an envelope that is no VEN request."""
    checked = await registered_request(conn, envelope)
    if not isinstance(checked, tuple):
        return checked
    message, ven_id = checked
    return VenReply(message=await answer(message, ven_id))


async def registered_request(conn: Conn, envelope: Envelope) -> tuple[VenMessage, str] | VenReply | None:
    """A VEN request's message and the registered VEN it speaks for, or the answer refusing it (the request in
    another profile than the VEN's included); None for an envelope that is no VEN request."""
    request = envelope.payload
    if not isinstance(request, VenRequest):
        return None
    named = getattr(request.message, "ven_id", None)
    speaker = await speaker_of(conn, named, request.context)
    checked = registered_speaker(speaker, named, request.context.profile)
    return checked if isinstance(checked, VenReply) else (request.message, checked)
