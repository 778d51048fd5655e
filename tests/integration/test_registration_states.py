"""The two states of a registration every service asks about, defined once in SQL (migration 0015) and meaning
what the glossary of docs/architecture.md says: *in force* (registered, or being cancelled and not told yet)
and *staying registered* (in force and not being cancelled)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable

import asyncpg
import httpx

from tests.conftest import REPO_ROOT
from tests.integration.raw_ven import RawVen

# status -> (in force, staying), as the glossary defines them
GLOSSARY_STATES = {
    "provisioned": (False, False),  # allowed in advance, never registered
    "registered": (True, True),
    "cancelling": (True, False),  # a VEN being cancelled is still registered until it is told
    "cancelled": (False, False),
}


async def test_every_registration_status_is_in_force_and_staying_as_the_glossary_says(db: asyncpg.Connection) -> None:
    check = await db.fetchval(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'vens'::regclass AND contype = 'c'"
        " AND pg_get_constraintdef(oid) LIKE '%status%'"
    )
    assert set(re.findall(r"'(\w+)'", check)) == set(GLOSSARY_STATES), "a new status needs its place in the glossary"
    for status, expected in GLOSSARY_STATES.items():
        row = await db.fetchrow(
            "SELECT registration_in_force($1) AS in_force, registration_staying($1) AS staying", status
        )
        assert (row["in_force"], row["staying"]) == expected, status


def test_the_glossary_defines_both_states_by_their_sql_function() -> None:
    glossary = (REPO_ROOT / "docs" / "architecture.md").read_text().split("## Glossary", 1)[1]
    entries = {line.split("**")[1]: line for line in glossary.splitlines() if line.startswith("- **")}
    assert "`registration_in_force(status)`" in entries["registration in force"]
    assert "being cancelled" in entries["registration in force"]
    assert "`registration_staying(status)`" in entries["staying registered"]


async def test_a_ven_being_cancelled_is_registered_until_it_is_told_and_only_then_not(
    http: httpx.AsyncClient, admin: httpx.AsyncClient, db: asyncpg.Connection, unique: Callable[[str], str]
) -> None:
    ven = await RawVen(http, unique("being-cancelled")).register()
    assert (await admin.post(f"/vens/{ven.ven_id}/cancel-registration")).status_code == 202
    assert await db.fetchval("SELECT status FROM vens WHERE ven_id = $1", ven.ven_id) == "cancelling"
    # In force: listed as registered, and its requests are still answered as a registered VEN's.
    assert (await admin.get(f"/vens/{ven.ven_id}")).json()["registered"] is True
    listed = (await admin.get("/vens", params={"registered": "true", "ven_name_prefix": ven.ven_name})).json()
    assert [v["ven_id"] for v in listed] == [ven.ven_id]
    assert await _polls_until_told(ven)
    # Told: no longer registered; its next poll is refused.
    assert (await admin.get(f"/vens/{ven.ven_id}")).json()["registered"] is False
    assert (await ven.poll()).response_code == 463


async def _polls_until_told(ven: RawVen, polls: int = 100) -> bool:
    """Poll until the VEN takes its oadrCancelPartyRegistration (an event set queued at registration may come
    first, and a cached answer until the gateways hear of the cancel)."""
    for _ in range(polls):
        answer = await ven.poll()
        assert answer.response_code in (0, 200), answer  # answered as a registered VEN until told
        if answer.message_type == "oadrCancelPartyRegistration":
            return True
        await asyncio.sleep(0.1)
    return False


async def test_a_ven_being_cancelled_is_not_staying_no_second_cancel_nor_the_vtns_metadata(
    http: httpx.AsyncClient, admin: httpx.AsyncClient, unique: Callable[[str], str]
) -> None:
    ven = await RawVen(http, unique("not-staying")).register()
    published = await admin.post("/vtn-reports/publish", json={"ven_ids": [ven.ven_id]})
    assert published.status_code == 202, published.text
    assert (await admin.post(f"/vens/{ven.ven_id}/cancel-registration")).status_code == 202
    assert (await admin.post(f"/vens/{ven.ven_id}/cancel-registration")).status_code == 409
    refused = await admin.post("/vtn-reports/publish", json={"ven_ids": [ven.ven_id]})
    assert refused.status_code == 404, refused.text
