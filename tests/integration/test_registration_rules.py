"""The registration rules that OpenADR 2.0b certification checks, one by one, on the real stack."""

from __future__ import annotations

from collections.abc import Callable

import asyncpg
import httpx

from tests.integration.raw_ven import RawVen, new_request_id, send


async def test_query_from_an_unregistered_ven_offers_profiles_and_transports_without_ids(
    http: httpx.AsyncClient,
) -> None:
    answer = await RawVen(http, "nobody-yet").query_registration()
    assert answer.http_status == 200
    assert answer.message_type == "oadrCreatedPartyRegistration"
    assert answer.response_code == 200
    assert not answer.payload.get("ven_id")
    assert not answer.payload.get("registration_id")
    # the test stack serves XMPP too (docs/xmpp.md)
    transports = [{"transport_name": "simpleHttp"}, {"transport_name": "xmpp"}]
    assert answer.payload["profiles"] == [{"profile_name": "2.0b", "transports": transports}]
    assert answer.payload["vtn_id"]


async def test_registration_returns_both_ids_and_is_stored(
    http: httpx.AsyncClient, db: asyncpg.Connection, unique: Callable[[str], str]
) -> None:
    ven = RawVen(http, unique("ven"))
    answer = await ven.create_registration()
    assert answer.response_code == 200
    assert ven.ven_id and ven.registration_id
    row = await db.fetchrow("SELECT ven_name, registration_id, status FROM vens WHERE ven_id = $1", ven.ven_id)
    assert dict(row) == {"ven_name": ven.ven_name, "registration_id": ven.registration_id, "status": "registered"}


async def test_registration_with_a_preallocated_ven_id_keeps_it(
    http: httpx.AsyncClient, unique: Callable[[str], str]
) -> None:
    preallocated = unique("preallocated")
    ven = RawVen(http, unique("ven"))
    answer = await ven.create_registration(ven_id=preallocated)
    assert answer.response_code == 200
    assert answer.payload["ven_id"] == preallocated


async def test_reregistering_with_the_existing_ids_returns_the_same_ids(
    http: httpx.AsyncClient, unique: Callable[[str], str]
) -> None:
    ven = await RawVen(http, unique("ven")).register()
    first = (ven.ven_id, ven.registration_id)
    answer = await ven.create_registration(ven_id=ven.ven_id, registration_id=ven.registration_id)
    assert answer.response_code == 200
    assert (answer.payload["ven_id"], answer.payload["registration_id"]) == first


async def test_reregistering_with_an_unknown_registration_id_is_452(
    http: httpx.AsyncClient, unique: Callable[[str], str]
) -> None:
    ven = await RawVen(http, unique("ven")).register()
    answer = await ven.create_registration(ven_id=ven.ven_id, registration_id="no-such-registration")
    assert answer.http_status == 200
    assert answer.response_code == 452


async def test_cancel_with_unknown_ids_is_452_then_a_correct_cancel_succeeds(
    http: httpx.AsyncClient, db: asyncpg.Connection, unique: Callable[[str], str]
) -> None:
    ven = await RawVen(http, unique("ven")).register()
    wrong_registration = await ven.cancel_registration(registration_id="no-such-registration")
    assert (wrong_registration.http_status, wrong_registration.message_type) == (200, "oadrCanceledPartyRegistration")
    assert wrong_registration.response_code == 452
    wrong_ven = await ven.cancel_registration(ven_id="no-such-ven")
    assert wrong_ven.response_code == 452
    assert await db.fetchval("SELECT status FROM vens WHERE ven_id = $1", ven.ven_id) == "registered"

    correct = await ven.cancel_registration()
    assert correct.response_code == 200
    assert correct.payload["registration_id"] == ven.registration_id
    assert await db.fetchval("SELECT status FROM vens WHERE ven_id = $1", ven.ven_id) == "cancelled"
    after = await ven.poll()
    assert after.response_code == 463  # no longer registered


async def test_ven_ids_are_case_sensitive(http: httpx.AsyncClient, unique: Callable[[str], str]) -> None:
    ven = await RawVen(http, unique("Ven")).register(ven_id=unique("CaseSensitiveVen"))
    assert ven.ven_id is not None
    wrong_case = ven.ven_id.swapcase()
    assert (await ven.poll(ven_id=wrong_case)).response_code == 452
    assert (await ven.cancel_registration(ven_id=wrong_case)).response_code == 452
    assert (await ven.poll()).response_code == 200


async def test_a_poll_with_an_unknown_ven_id_gets_an_openadr_error(http: httpx.AsyncClient) -> None:
    answer = await send(http, "OadrPoll", "oadrPoll", ven_id="never-registered")
    assert answer.http_status == 200
    assert answer.message_type == "oadrResponse"
    assert answer.response_code == 452


async def test_every_answer_is_xml_and_application_errors_are_http_200(
    http: httpx.AsyncClient, unique: Callable[[str], str]
) -> None:
    ven = await RawVen(http, unique("ven")).register()
    answers = [
        await ven.query_registration(),
        await ven.poll(),
        await ven.poll(ven_id="unknown"),
        await ven.cancel_registration(registration_id="unknown"),
        await send(http, "EiEvent", "oadrRequestEvent", request_id=new_request_id(), ven_id=ven.ven_id),
    ]
    for answer in answers:
        assert answer.http_status == 200
        assert answer.content_type.startswith("application/xml")
    raw = await http.post("/OadrPoll", content=b"not xml")
    assert raw.status_code == 400
    assert raw.headers["content-type"].startswith("application/xml")
