"""Readiness and the operational endpoints, without servers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import MutableMapping
from typing import Any

import pytest

from shared import health
from shared.health import OpsApp, Readiness, health_port_for


async def _ok() -> None:
    return None


async def _down() -> None:
    raise ConnectionRefusedError("connection refused")


async def _hangs() -> None:
    await asyncio.sleep(60)


async def test_not_ready_before_start_and_after_stop() -> None:
    readiness = Readiness()
    readiness.add_check("postgres", _ok)
    assert await readiness.evaluate() == (False, {"process": "starting"})
    readiness.mark_started()
    assert await readiness.evaluate() == (True, {"postgres": "ok"})
    readiness.mark_stopping()
    assert await readiness.evaluate() == (False, {"process": "stopping"})


async def test_a_failing_or_hanging_check_makes_it_not_ready_and_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(health, "CHECK_TIMEOUT_SECONDS", 0.05)
    readiness = Readiness()
    for name, check in (("postgres", _down), ("kafka", _hangs), ("other", _ok)):
        readiness.add_check(name, check)
    readiness.mark_started()
    ready, report = await readiness.evaluate()
    assert not ready
    assert report["postgres"].startswith("ConnectionRefusedError") and "no answer" in report["kafka"]
    assert report["other"] == "ok"


async def _get(app: OpsApp, path: str) -> tuple[int, bytes]:
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> MutableMapping[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    await app({"type": "http", "path": path, "method": "GET"}, receive, send)
    return sent[0]["status"], sent[1]["body"]


async def test_the_endpoints_answer_liveness_readiness_and_metrics() -> None:
    readiness = Readiness()
    readiness.add_check("postgres", _down)
    app = OpsApp(readiness)
    assert await _get(app, "/healthz") == (200, b'{"status":"ok"}')
    readiness.mark_started()
    status, body = await _get(app, "/readyz")
    assert status == 503 and json.loads(body)["checks"]["postgres"].startswith("ConnectionRefusedError")
    status, body = await _get(app, "/metrics")
    assert status == 200 and b"vtn_event_loop_lag_seconds" in body
    assert (await _get(app, "/nope"))[0] == 404


def test_each_service_has_its_own_default_health_port() -> None:
    processes = ("registration_svc", "presence_svc", "event_svc", "report_svc", "gateway.push", "gateway.xmpp")
    ports = [health_port_for(name, None) for name in processes]
    assert len(set(ports)) == len(processes)
    assert 8090 not in ports, "8090 is the fallback of a process without a default of its own"
    assert health_port_for("event_svc", 9999) == 9999


async def test_the_health_server_refuses_a_port_in_use() -> None:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        with pytest.raises(OSError):
            await health.HealthServer(Readiness(), "127.0.0.1", port).start()
    finally:
        server.close()
        await server.wait_closed()
