"""Registration policies, run inside registration_svc's handler against the real PostgreSQL.

These call the service's handler directly (not through Kafka) so that each policy can be exercised in
one test session; the wiring from settings to policy is covered by `build_policy`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import asyncpg
import pytest

from registration_svc.policy import AcceptAll, ProvisionedOnly, build_policy
from registration_svc.ven_requests import RegisterPartyHandler, RegistrationConfig
from shared import topics
from shared.contract.envelope import Envelope
from shared.contract.ven_traffic import RequestContext, VenReply, VenRequest
from shared.db.idempotent import IdempotentHandler
from shared.db.outbox import OutboxRelay
from shared.oadr.registration import CreatedPartyRegistration, CreatePartyRegistration, QueryRegistration
from shared.plugins import load_callable
from shared.settings import RegistrationPolicyName
from tests.stack import RunningVtn, find_on_topic

OPENLEADR_STYLE_HANDLER = "tests.integration.registration_hooks:on_create_party_registration"


@pytest.fixture
def conn(db: asyncpg.Connection) -> asyncpg.Connection:
    """The handler under test works on this connection, as it would on one from the service's pool."""
    return db


def handler_with(policy: object) -> RegisterPartyHandler:
    return RegisterPartyHandler(RegistrationConfig(vtn_id="vtn", poll_interval=timedelta(seconds=10), policy=policy))  # type: ignore[arg-type]


async def register(
    conn: asyncpg.Connection, handler: RegisterPartyHandler, fingerprint: str | None = None, **fields: object
) -> CreatedPartyRegistration:
    message = CreatePartyRegistration(request_id="r", **fields)  # type: ignore[arg-type]
    envelope = Envelope(payload=VenRequest(message=message, context=RequestContext(fingerprint=fingerprint)))
    async with conn.transaction():
        reply = await handler(conn, envelope)
    assert isinstance(reply, VenReply) and isinstance(reply.message, CreatedPartyRegistration)
    return reply.message


async def provision(conn: asyncpg.Connection, ven_id: str, ven_name: str | None, fingerprint: str | None) -> None:
    await conn.execute(
        "INSERT INTO vens (ven_id, ven_name, fingerprint, provisioned, status) VALUES ($1, $2, $3, true, 'provisioned')",
        ven_id,
        ven_name,
        fingerprint,
    )


async def test_provisioned_only_refuses_strangers_and_accepts_provisioned_vens_with_their_id(
    conn: asyncpg.Connection, unique: Callable[[str], str]
) -> None:
    handler = handler_with(ProvisionedOnly())
    stranger = await register(conn, handler, ven_name=unique("stranger"))
    assert stranger.response.response_code == 463 and stranger.ven_id is None

    ven_id, name = unique("prov-id"), unique("prov-name")
    await provision(conn, ven_id, name, None)
    accepted = await register(conn, handler, ven_name=name)
    assert accepted.response.response_code == 200
    assert accepted.ven_id == ven_id and accepted.registration_id


async def test_provisioned_only_matches_the_certificate_fingerprint(
    conn: asyncpg.Connection, unique: Callable[[str], str]
) -> None:
    handler = handler_with(ProvisionedOnly())
    ven_id, fingerprint = unique("fp-ven"), unique("AA:BB")
    await provision(conn, ven_id, None, fingerprint)
    assert (await register(conn, handler, fingerprint=unique("other-fp"), ven_id=ven_id)).response.response_code == 463
    accepted = await register(conn, handler, fingerprint=fingerprint, ven_name=unique("any-name"))
    assert (accepted.response.response_code, accepted.ven_id) == (200, ven_id)


async def test_provisioned_only_refuses_a_ven_id_that_is_not_the_provisioned_one(
    conn: asyncpg.Connection, unique: Callable[[str], str]
) -> None:
    handler = handler_with(ProvisionedOnly())
    name = unique("named")
    await provision(conn, unique("real-id"), name, None)
    refused = await register(conn, handler, ven_name=name, ven_id=unique("claimed-id"))
    assert refused.response.response_code in (452, 463)
    assert refused.ven_id is None


async def test_openleadr_style_handler_decides(conn: asyncpg.Connection, unique: Callable[[str], str]) -> None:
    handler = handler_with(build_policy(RegistrationPolicyName.HANDLER, load_callable(OPENLEADR_STYLE_HANDLER)))
    refused = await register(conn, handler, ven_name="refuse-me")
    assert refused.response.response_code == 463
    name = unique("welcome")
    accepted = await register(conn, handler, ven_name=name)
    assert accepted.response.response_code == 200
    assert (accepted.ven_id, accepted.registration_id) == (f"ven-for-{name}", f"reg-for-{name}")


async def test_accept_all_reuses_the_ven_id_of_a_known_ven_name(
    conn: asyncpg.Connection, unique: Callable[[str], str]
) -> None:
    handler = handler_with(AcceptAll())
    name = unique("same-name")
    first = await register(conn, handler, ven_name=name)
    second = await register(conn, handler, ven_name=name)
    assert first.ven_id == second.ven_id
    assert first.registration_id != second.registration_id
    clash = await register(conn, handler, ven_name=name, ven_id=unique("someone-else"))
    assert clash.response.response_code == 452


async def test_query_registration_names_the_ids_of_a_registered_ven_known_by_its_certificate(
    conn: asyncpg.Connection, unique: Callable[[str], str]
) -> None:
    """With TLS the gateway passes the client certificate's fingerprint; a registered VEN then gets its IDs."""
    handler = handler_with(AcceptAll())
    fingerprint = unique("CC:DD")
    registered = await register(conn, handler, fingerprint=fingerprint, ven_name=unique("tls-ven"))

    async def query(fp: str | None) -> CreatedPartyRegistration:
        envelope = Envelope(
            payload=VenRequest(message=QueryRegistration(request_id="q"), context=RequestContext(fingerprint=fp))
        )
        async with conn.transaction():
            reply = await handler(conn, envelope)
        assert isinstance(reply, VenReply) and isinstance(reply.message, CreatedPartyRegistration)
        return reply.message

    known = await query(fingerprint)
    assert (known.ven_id, known.registration_id) == (registered.ven_id, registered.registration_id)
    assert known.profiles
    unknown = await query(unique("unknown-fp"))
    assert (unknown.ven_id, unknown.registration_id) == (None, None)


async def test_a_redelivered_request_gets_the_stored_reply_without_a_second_effect(
    vtn: RunningVtn, conn: asyncpg.Connection, unique: Callable[[str], str]
) -> None:
    """The inbox: same message id, same answer, one registration, one registration event."""
    pool = await asyncpg.create_pool(vtn.database_url, min_size=1, max_size=2)
    try:
        relay = OutboxRelay(pool, producer=None)  # type: ignore[arg-type]  # never run: only woken
        idempotent = IdempotentHandler(pool, "test-consumer", handler_with(AcceptAll()), relay)
        name = unique("once")
        envelope = Envelope(payload=VenRequest(message=CreatePartyRegistration(request_id="r", ven_name=name)))
        first, second = await idempotent(envelope), await idempotent(envelope)
    finally:
        await pool.close()
    assert first == second
    assert await conn.fetchval("SELECT count(*) FROM vens WHERE ven_name = $1", name) == 1
    ven_id = await conn.fetchval("SELECT ven_id FROM vens WHERE ven_name = $1", name)
    # The running registration_svc's relay sweeps the outbox rows of any writer onto the topic.
    events = await find_on_topic(vtn.kafka_bootstrap, topics.REGISTRATION_EVENTS, lambda e: e.ven_id == ven_id)
    assert len(events) == 1
