"""Liveness, readiness and metrics over HTTP: `/healthz`, `/readyz`, `/metrics`.

- `/healthz` (liveness) answers 200 while the event loop runs: a hung loop cannot answer, so the
  orchestrator restarts the process.
- `/readyz` (readiness) answers 200 only when the process has started, is not stopping, and every check
  passes (PostgreSQL pool answers `SELECT 1`, every Kafka consumer has joined its group and reaches the
  broker); otherwise 503 with the failing checks named. Checks run concurrently with a timeout each.
- `/metrics` is the Prometheus text exposition.

Services serve these on their own small port (`VTN_HEALTH_PORT`); the gateway serves them on its admin
port (see gateway/health.py), both from the same `Readiness` object.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from typing import Any

import asyncpg
import uvicorn

from shared.metrics import CONTENT_TYPE_LATEST, render_metrics

log = logging.getLogger(__name__)

Check = Callable[[], Awaitable[None]]
"""A readiness check: returns when healthy, raises (anything) when not."""

CHECK_TIMEOUT_SECONDS = 2.0

# Services have no other port; these defaults let `make run` start all four on one host.
DEFAULT_HEALTH_PORTS = {
    "registration_svc": 8091,
    "presence_svc": 8092,
    "event_svc": 8093,
    "report_svc": 8094,
    "gateway.push": 8095,
    "gateway.xmpp": 8096,
}


def health_port_for(service_name: str, configured: int | None) -> int:
    if configured is not None:
        return configured
    return DEFAULT_HEALTH_PORTS.get(service_name, 8090)


def database_check(pool: asyncpg.Pool) -> Check:
    async def check() -> None:
        await pool.fetchval("SELECT 1")

    return check


class Readiness:
    """Whether this process should receive work; `start()`/`stop()` bracket its serving life."""

    def __init__(self) -> None:
        self._checks: dict[str, Check] = {}
        self._started = False
        self._stopping = False

    def add_check(self, name: str, check: Check) -> None:
        self._checks[name] = check

    def mark_started(self) -> None:
        self._started = True

    def mark_stopping(self) -> None:
        self._stopping = True

    async def evaluate(self) -> tuple[bool, dict[str, str]]:
        """(ready, {check: "ok" or the reason it failed})."""
        if self._stopping:
            return False, {"process": "stopping"}
        if not self._started:
            return False, {"process": "starting"}
        names = list(self._checks)
        results = await asyncio.gather(*(self._run(self._checks[n]) for n in names))
        report = dict(zip(names, results, strict=True))
        return all(r == "ok" for r in results), report

    @staticmethod
    async def _run(check: Check) -> str:
        try:
            async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
                await check()
        except TimeoutError:
            return f"no answer within {CHECK_TIMEOUT_SECONDS:.0f}s"
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}"[:300]
        return "ok"


Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class OpsApp:
    """A bare ASGI app for the three operational endpoints (no framework: it runs in every service)."""

    def __init__(self, readiness: Readiness) -> None:
        self._readiness = readiness

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        path = scope.get("path", "")
        if path == "/healthz":
            await _answer(send, 200, b'{"status":"ok"}', b"application/json")
        elif path == "/readyz":
            ready, report = await self._readiness.evaluate()
            body = json.dumps({"status": "ready" if ready else "not ready", "checks": report}).encode()
            await _answer(send, 200 if ready else 503, body, b"application/json")
        elif path == "/metrics":
            await _answer(send, 200, render_metrics(), CONTENT_TYPE_LATEST.encode())
        else:
            await _answer(send, 404, b'{"status":"not found"}', b"application/json")


async def _answer(send: Send, status: int, body: bytes, content_type: bytes) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class QuietServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling to its owner (the process's own SIGTERM handler)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class HealthServer:
    """Serves `OpsApp` on host:port in the running loop until `stop()`."""

    def __init__(self, readiness: Readiness, host: str, port: int) -> None:
        config = uvicorn.Config(
            OpsApp(readiness), host=host, port=port, log_config=None, access_log=False, lifespan="off"
        )
        self._server = QuietServer(config)
        self._task: asyncio.Task[None] | None = None
        self._host, self._port = host, port
        self.address = f"{host}:{port}"

    async def start(self, timeout: float = 10.0) -> None:
        """Bind and serve; raise OSError if the port cannot be bound (a probe that never answers is worse).

        The socket is bound here rather than by uvicorn, which answers a bind failure with sys.exit.
        """
        sock = socket.socket(socket.AF_INET6 if ":" in self._host else socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self._host, self._port))
            sock.listen(128)
        except OSError:
            sock.close()
            raise
        sock.setblocking(False)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]), name="health-server")
        deadline = asyncio.get_running_loop().time() + timeout
        while not self._server.started:
            if self._task.done() or asyncio.get_running_loop().time() > deadline:
                raise RuntimeError(f"health server did not start on {self.address}")
            await asyncio.sleep(0.02)
        log.info("health server listening", extra={"action": "health_server_started", "address": self.address})

    async def stop(self) -> None:
        if self._task is None:
            return
        self._server.should_exit = True
        with contextlib.suppress(BaseException):
            await self._task
