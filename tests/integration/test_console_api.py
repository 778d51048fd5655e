"""The console's API on the whole VTN: named operators and their roles, the audit trail in PostgreSQL and on
oadr.operator.audit.v1, a VEN's online history, the fleet's counts and the VEN list's search."""

from __future__ import annotations

import time
from collections.abc import Callable

import asyncpg
import httpx

from shared import topics
from shared.contract.audit import OperatorAction
from tests.integration.raw_ven import RawVen
from tests.interop.test_openleadr_ven import until_async
from tests.stack import ADMIN_TOKEN, RunningVtn, find_on_topic


async def new_operator(admin: httpx.AsyncClient, name: str, role: str) -> str:
    created = await admin.post("/operators", json={"name": name, "role": role})
    assert created.status_code == 201, created.text
    return str(created.json()["token"])


def as_operator(vtn: RunningVtn, token: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=f"{vtn.admin_url}/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=15
    )


async def test_a_named_operator_changes_things_and_the_audit_trail_names_them(
    vtn: RunningVtn,
    admin: httpx.AsyncClient,
    db: asyncpg.Connection,
    http: httpx.AsyncClient,
    unique: Callable[[str], str],
) -> None:
    ven = await RawVen(http, unique("audited-ven")).register()
    name = unique("otto")
    async with as_operator(vtn, await new_operator(admin, name, "operator")) as otto:
        answer = await otto.put(f"/vens/{ven.ven_id}/memberships", json={"group_ids": ["north"], "token": "leak"})
        assert answer.status_code == 422  # extra fields are refused, and the refusal is audited too
        answer = await otto.put(f"/vens/{ven.ven_id}/memberships", json={"group_ids": ["north"]})
        assert answer.status_code == 200, answer.text
        assert (await otto.get(f"/vens/{ven.ven_id}/memberships")).json()["group_ids"] == ["north"]
    rows = await db.fetch("SELECT * FROM operator_audit WHERE actor = $1 ORDER BY id", name)
    assert [(r["action"], r["status"], r["target"], r["role"], r["via"]) for r in rows] == [
        ("PUT /api/v1/vens/{ven_id}/memberships", 422, f"ven_id={ven.ven_id}", "operator", "token"),
        ("PUT /api/v1/vens/{ven_id}/memberships", 200, f"ven_id={ven.ven_id}", "operator", "token"),
    ]
    assert "token" not in rows[0]["detail"]  # secrets never reach the trail
    records = await find_on_topic(
        vtn.kafka_bootstrap,
        topics.OPERATOR_AUDIT,
        lambda e: isinstance(e.payload, OperatorAction) and e.payload.actor == name and e.payload.status == 200,
    )
    assert records[0].message_id == rows[1]["message_id"]
    listed = (await admin.get("/audit", params={"actor": name})).json()
    assert [entry["status"] for entry in listed] == [200, 422]


async def test_a_viewer_reads_everything_and_changes_nothing(
    vtn: RunningVtn, admin: httpx.AsyncClient, http: httpx.AsyncClient, unique: Callable[[str], str]
) -> None:
    ven = await RawVen(http, unique("viewed-ven")).register()
    async with as_operator(vtn, await new_operator(admin, unique("vera"), "viewer")) as vera:
        assert (await vera.get(f"/vens/{ven.ven_id}")).status_code == 200
        assert (await vera.get("/fleet")).status_code == 200
        assert (await vera.get("/audit")).status_code == 200
        refused = [
            await vera.post(f"/vens/{ven.ven_id}/cancel-registration"),
            await vera.put(f"/vens/{ven.ven_id}/memberships", json={}),
            await vera.post("/events", json={}),
            await vera.post("/operators", json={"name": "x"}),
        ]
        assert [r.status_code for r in refused] == [403, 403, 403, 403]
        assert (await vera.get("/operators")).status_code == 403
    assert (await admin.get(f"/vens/{ven.ven_id}")).json()["registered"] is True


async def test_a_disabled_operator_and_a_wrong_token_get_401(
    vtn: RunningVtn, admin: httpx.AsyncClient, unique: Callable[[str], str]
) -> None:
    name = unique("dora")
    token = await new_operator(admin, name, "viewer")
    assert (await admin.delete(f"/operators/{name}")).status_code == 204
    async with as_operator(vtn, token) as dora:
        assert (await dora.get("/whoami")).status_code == 401
    async with as_operator(vtn, ADMIN_TOKEN + "-wrong") as wrong:
        assert (await wrong.get("/vens")).status_code == 401


async def test_a_ven_coming_online_and_going_offline_is_in_its_history(
    admin: httpx.AsyncClient, http: httpx.AsyncClient, unique: Callable[[str], str]
) -> None:
    ven = await RawVen(http, unique("history-ven")).register()
    await ven.poll()

    async def history() -> list[bool]:
        return [c["online"] for c in (await admin.get(f"/vens/{ven.ven_id}/presence")).json()["changes"]]

    async def came_online() -> bool:
        return await history() == [True]

    await until_async(came_online, 15, "the VEN's online transition")

    async def went_offline() -> bool:
        return await history() == [False, True]  # newest first

    await until_async(went_offline, 20, "the VEN's offline transition (it stopped polling)")


async def test_the_fleet_counts_by_profile_and_transport_and_the_list_searches(
    admin: httpx.AsyncClient, http: httpx.AsyncClient, unique: Callable[[str], str]
) -> None:
    name = unique("Searchable-VEN")
    ven = await RawVen(http, name).register()
    by_name = (await admin.get("/vens", params={"search": name.lower()[:-2]})).json()
    assert ven.ven_id in [v["ven_id"] for v in by_name]
    by_id = (await admin.get("/vens", params={"search": ven.ven_id})).json()
    assert [v["ven_id"] for v in by_id] == [ven.ven_id]
    assert (await admin.get("/vens", params={"search": "%"})).json() == []  # LIKE wildcards are taken literally
    filtered = (
        await admin.get("/vens", params={"search": name, "profile_name": "2.0b", "transport_name": "xmpp"})
    ).json()
    assert filtered == []

    async def counted() -> bool:
        fleet = (await admin.get("/fleet")).json()
        rows = {(r["profile_name"], r["transport_name"]): r["registered"] for r in fleet["by_profile_transport"]}
        return fleet["vens_counted_at"] is not None and rows.get(("2.0b", "simpleHttp"), 0) >= 1

    await until_async(counted, 40, "the fleet count to include the VEN")
    started = time.monotonic()
    assert (await admin.get("/fleet")).status_code == 200
    assert time.monotonic() - started < 1.0  # answered from memory, not by counting per viewer
