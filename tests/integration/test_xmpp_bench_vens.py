"""The XMPP benchmark's simulated VENs (bench.xmpp_vens) against the real stack: they log in with their own
certificates, register over XMPP, get an event set pushed and answer it, so the benchmark measures a working
exchange."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx

from bench.event_vens import HeldEvent
from bench.loadgen.config import ClientCertificate, VtnAddress
from bench.xmpp_vens import XmppService, xmpp_fleet
from shared import topics
from shared.contract.events import EventResponseFact
from tests.integration.event_ven import simple_event
from tests.integration.xmpp_ven import Server, issue_certificate
from tests.stack import RunningVtn, find_on_topic


async def test_bench_xmpp_vens_register_get_an_event_set_and_answer_it(
    vtn: RunningVtn, admin: httpx.AsyncClient, tmp_path: Path, unique: Callable[[str], str]
) -> None:
    server = Server.of_session_stack()
    service = XmppService(server.address, server.vtn, str(server.tls_dir / "ca.crt"))
    issued = [issue_certificate(tmp_path, f"bench-xmpp-{uuid.uuid4().hex[:8]}") for _ in range(3)]
    certificates = [ClientCertificate(str(c.cert_path), str(c.key_path)) for c in issued]
    vens = await xmpp_fleet(3, service, certificates, VtnAddress.parse(vtn.url))
    stop = asyncio.Event()
    running = [asyncio.create_task(ven.run(stop, 0.0, 1.0)) for ven in vens]
    try:
        event_id = unique("bench-xmpp-event")
        for ven in vens:
            ven.expect(lambda held: event_id in held)
        created = await admin.post("/events", json=simple_event(tuple(str(v.ven_id) for v in vens), event_id=event_id))
        assert created.status_code == 201, created.text
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not all((event_id, 0) in v.tracking.answered_versions for v in vens):
            await asyncio.sleep(0.1)
        assert all(ven.tracking.met_at is not None for ven in vens)
        assert all(ven.events[event_id] == HeldEvent(0, "far") for ven in vens)
        assert [ven.answer_errors for ven in vens] == [0, 0, 0]
        answers = await find_on_topic(
            vtn.kafka_bootstrap,
            topics.EVENT_RESPONSES,
            lambda e: isinstance(e.payload, EventResponseFact) and e.payload.event_id == event_id,
        )
        assert sorted(a.payload.ven_id for a in answers) == sorted(str(v.ven_id) for v in vens)  # type: ignore[union-attr]
    finally:
        stop.set()
        await asyncio.gather(*running, return_exceptions=True)
        for ven in vens:
            await ven.close()
