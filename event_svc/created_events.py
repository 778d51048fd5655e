"""VENs' oadrCreatedEvent answers judged, stored once per distinct answer and published, in the caller's
transaction: one message, or every oadrCreatedEvent of a consumer fetch in the same handful of statements
(the VENs' memberships, the events' versions and targets, the stored answers, the opts, one upsert, one
batch of outbox records), whatever their number.

Each answer is judged on its own (event_svc.answers); the messages are taken in order, so a VEN that
changed its answer within one fetch has each change published, in order, and a resend of the stored
answer publishes nothing (once per distinct answer on `oadr.event.responses.v1`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from event_svc import answers as judging
from event_svc import store
from event_svc.delivery import target_parts
from shared import topics
from shared.contract.envelope import Envelope
from shared.contract.events import EventResponseFact
from shared.db import handler_events, outbox
from shared.db.connection import Conn
from shared.oadr import answers
from shared.oadr.event import CreatedEvent, EventResponse
from shared.oadr.messages import VtnMessage
from shared.oadr.opt import OptType


@dataclass(frozen=True)
class Answering:
    """One oadrCreatedEvent from a registered VEN."""

    ven_id: str
    message: CreatedEvent


async def take_answers(conn: Conn, answering: Sequence[Answering], now: datetime) -> list[VtnMessage]:
    """Each message's oadrResponse, in order. An event the VTN does not keep may be one the operator's Python
    handlers gave the VEN (shared.db.handler_events): an answer to it is judged against the version given, and
    published each time (the VTN stores no answer for it)."""
    if not answering:
        return []
    vens = await store.memberships(conn, sorted({a.ven_id for a in answering}))
    event_ids = {r.event_id for a in answering for r in a.message.event_responses}
    versions = await store.event_versions(conn, event_ids, vens.keys())
    given = await handler_events.modifications_given(
        conn,
        {(a.ven_id, r.event_id) for a in answering for r in a.message.event_responses if r.event_id not in versions},
    )
    verdicts: list[list[judging.Verdict]] = []
    for item in answering:
        judged = []
        for response in item.message.event_responses:
            version = versions.get(response.event_id)
            if version is None:
                handed = given.get((item.ven_id, response.event_id))
                judged.append(judging.judge_response(response, handed, handed is not None))
                continue
            targeted = target_parts(vens[item.ven_id], version.targets, item.ven_id in version.named) is not None
            judged.append(judging.judge_response(response, version.modification_number, targeted))
        verdicts.append(judged)
    accepted = [
        (item.ven_id, response)
        for item, judged in zip(answering, verdicts, strict=True)
        for response, verdict in zip(item.message.event_responses, judged, strict=True)
        if verdict.accepted
    ]
    kept = {(r.event_id, ven_id) for ven_id, r in accepted if r.event_id in versions}
    stored = await store.recorded_answers(conn, kept)
    opted = await store.opt_types(conn, kept)
    facts: list[Envelope] = []
    changed: dict[store.AnswerKey, store.NewAnswer] = {}
    for ven_id, response in accepted:
        key = (response.event_id, ven_id)
        if key in kept:
            answer = store.RecordedAnswer(response.modification_number, response.opt_type, response.response_code)
            if stored.get(key) == answer:
                continue  # a resend of the stored answer: its fact is on the topic already
            stored[key] = answer
            changed[key] = store.NewAnswer(response.event_id, ven_id, answer, response.request_id)
        facts.append(Envelope(ven_id=ven_id, payload=_fact(ven_id, response, opted.get(key), now)))
    await store.save_answers(conn, list(changed.values()))
    await outbox.add_many(conn, topics.EVENT_RESPONSES, facts)
    return [
        answers.response(outcome.code, outcome.description, item.ven_id, item.message.response.request_id)
        for item, outcome in ((item, judging.worst(judged)) for item, judged in zip(answering, verdicts, strict=True))
    ]


def _fact(ven_id: str, response: EventResponse, opted: OptType | None, now: datetime) -> EventResponseFact:
    return EventResponseFact(
        ven_id=ven_id,
        event_id=response.event_id,
        modification_number=response.modification_number,
        opt_type=response.opt_type,
        effective_opt_type=judging.effective_opt(response.opt_type, opted) or response.opt_type,
        response_code=response.response_code,
        request_id=response.request_id,
        received_at=now,
    )
