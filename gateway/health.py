"""The gateway's operational endpoints: `/healthz`, `/readyz` and `/metrics` on the admin port.

They are answered before the admin API's bearer-token check (probes and Prometheus carry no token), so
the admin port belongs on the cluster network, not on the internet. The gateway is ready when the
broker answers and its reply reader and VEN-changes listener run; it holds no database pool.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from prometheus_client import REGISTRY
from prometheus_client.registry import Collector

from gateway.connection_ledger import ConnectionLedger
from gateway.metrics import (
    ASGIApp,
    ConnectionCollector,
    HttpMetrics,
    HttpMetricsCollector,
    InstrumentedApp,
    PollCacheCollector,
)
from gateway.poll_answers import PollAnswerCache
from gateway.routing import ENDPOINTS
from gateway.ven_changes import VenChangesListener
from shared.bus.producer import BusProducer
from shared.bus.request_reply import RequestReplyClient
from shared.health import Check, OpsApp, Readiness, Receive, Scope, Send
from shared.metrics import EventLoopLagMonitor

OPS_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


class WithOpsEndpoints:
    """ASGI: the three operational paths to `ops`, everything else to `app`."""

    def __init__(self, app: ASGIApp, ops: OpsApp) -> None:
        self._app = app
        self._ops = ops

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("path") in OPS_PATHS:
            await self._ops(scope, receive, send)
        else:
            await self._app(scope, receive, send)


def _as_check(check_now: Callable[[], None]) -> Check:
    async def check() -> None:
        check_now()

    return check


class GatewayOperations:
    """Readiness, metrics and the event-loop lag monitor of one gateway process."""

    def __init__(
        self, producer: BusProducer, requester: RequestReplyClient, changes: VenChangesListener, cache: PollAnswerCache
    ) -> None:
        self.readiness = Readiness()
        self.readiness.add_check("kafka", producer.check_connected)
        self.readiness.add_check("reply_reader", _as_check(requester.check_running))
        self.readiness.add_check("ven_changes", _as_check(changes.check_running))
        self._http = HttpMetrics()
        self._collectors: list[Collector] = [PollCacheCollector(cache), HttpMetricsCollector(self._http)]
        self._loop_lag: asyncio.Task[None] | None = None

    def oadr_app(self, app: ASGIApp) -> InstrumentedApp:
        return InstrumentedApp(app, self._http, ENDPOINTS, other="oadr_other")

    def admin_app(self, app: ASGIApp) -> WithOpsEndpoints:
        """Probes and scrapes are answered first and not counted; every admin call counts as "admin"."""
        return WithOpsEndpoints(InstrumentedApp(app, self._http, {}, other="admin"), OpsApp(self.readiness))

    def count_connections(self, ledger: ConnectionLedger) -> None:
        """Expose the VEN door's connection figures on /metrics (call before start)."""
        self._collectors.append(ConnectionCollector(ledger))

    def start(self) -> None:
        for collector in self._collectors:
            REGISTRY.register(collector)
        self._loop_lag = asyncio.create_task(EventLoopLagMonitor().run(), name="event-loop-lag")
        self.readiness.mark_started()

    async def stop(self) -> None:
        self.readiness.mark_stopping()
        if self._loop_lag is not None:
            self._loop_lag.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_lag
        for collector in self._collectors:
            with contextlib.suppress(KeyError):
                REGISTRY.unregister(collector)
