"""The gateway's HTTP metrics (requests by endpoint and outcome, latency), its poll-cache and its connection figures.

The poll path answers a cached poll in a few tens of microseconds, so its bookkeeping must cost well under
one: `HttpMetrics` keeps plain integers per endpoint (one bisect for the bucket, three increments; the
event loop is the only writer, so no lock is needed) and `HttpMetricsCollector` turns them into
Prometheus series at scrape time. prometheus-client's own Histogram takes a lock per bucket increment and
cost about five times as much per request. The poll cache counts its hits and misses itself;
`PollCacheCollector` reads them at scrape time too, as `ConnectionCollector` reads the VEN door's connection
ledger (open connections, refusals by reason, timeouts by phase).
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, MutableMapping
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from gateway.connection_ledger import ConnectionLedger
from gateway.poll_answers import PollAnswerCache
from shared.health import Receive, Scope, Send
from shared.metrics import LATENCY_BUCKETS

ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
NO_RESPONSE = "no_response"  # the client went away before an answer was sent


class EndpointStats:
    __slots__ = ("bucket_counts", "count", "sum", "outcomes")

    def __init__(self) -> None:
        self.bucket_counts = [0] * (len(LATENCY_BUCKETS) + 1)  # the last one is +Inf
        self.count = 0
        self.sum = 0.0
        self.outcomes: dict[str, int] = {}


class HttpMetrics:
    """Requests and latency per endpoint, as plain numbers (see the module docstring)."""

    def __init__(self) -> None:
        self.endpoints: dict[str, EndpointStats] = {}

    def stats(self, endpoint: str) -> EndpointStats:
        stats = self.endpoints.get(endpoint)
        if stats is None:
            stats = self.endpoints[endpoint] = EndpointStats()
        return stats

    @staticmethod
    def record(stats: EndpointStats, outcome: str, seconds: float) -> None:
        stats.bucket_counts[bisect_left(LATENCY_BUCKETS, seconds)] += 1
        stats.count += 1
        stats.sum += seconds
        stats.outcomes[outcome] = stats.outcomes.get(outcome, 0) + 1


class HttpMetricsCollector(Collector):
    """`vtn_http_requests_total{endpoint,outcome}` and `vtn_http_request_duration_seconds{endpoint}`."""

    def __init__(self, metrics: HttpMetrics) -> None:
        self._metrics = metrics

    def collect(self) -> Iterable[Metric]:
        return self._families()

    def _families(self) -> Iterator[Metric]:
        requests = CounterMetricFamily(
            "vtn_http_requests",
            "HTTP requests answered, by endpoint (OpenADR service or admin) and outcome (HTTP status)",
            labels=["endpoint", "outcome"],
        )
        latency = HistogramMetricFamily(
            "vtn_http_request_duration_seconds",
            "Time from request received to answer sent, by endpoint",
            labels=["endpoint"],
        )
        for endpoint, stats in sorted(self._metrics.endpoints.items()):
            for outcome, count in sorted(stats.outcomes.items()):
                requests.add_metric([endpoint, outcome], count)
            cumulative, buckets = 0, []
            for bound, count in zip([*map(str, LATENCY_BUCKETS), "+Inf"], stats.bucket_counts, strict=True):
                cumulative += count
                buckets.append((bound, cumulative))
            latency.add_metric([endpoint], buckets, stats.sum)
        yield requests
        yield latency


class InstrumentedApp:
    """Counts and times every HTTP request of `app`; the endpoint label comes from `endpoint_by_path`."""

    def __init__(self, app: ASGIApp, metrics: HttpMetrics, endpoint_by_path: Mapping[str, str], other: str) -> None:
        self._app = app
        self._stats = {path: metrics.stats(endpoint) for path, endpoint in endpoint_by_path.items()}
        self._other = metrics.stats(other)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        stats = self._stats.get(scope.get("path", ""), self._other)
        outcome = NO_RESPONSE
        started = time.perf_counter()

        def send_noting_status(message: MutableMapping[str, Any]) -> Awaitable[None]:
            # A plain function handing back `send`'s awaitable: no extra coroutine per message.
            nonlocal outcome
            if message["type"] == "http.response.start":
                outcome = str(message["status"])
            return send(message)

        try:
            await self._app(scope, receive, send_noting_status)
        finally:
            HttpMetrics.record(stats, outcome, time.perf_counter() - started)


class PollCacheCollector(Collector):
    """Exposes the poll cache's own counters: `vtn_poll_cache_hits_total`, `..._misses_total`, entries."""

    def __init__(self, cache: PollAnswerCache) -> None:
        self._cache = cache

    def collect(self) -> Iterable[Metric]:
        return self._metrics()

    def _metrics(self) -> Iterator[Metric]:
        yield CounterMetricFamily(
            "vtn_poll_cache_hits", "oadrPoll answered from the gateway's cache", value=self._cache.hits
        )
        yield CounterMetricFamily(
            "vtn_poll_cache_misses", "oadrPoll that had to ask registration_svc", value=self._cache.misses
        )
        yield GaugeMetricFamily("vtn_poll_cache_entries", "VENs with a cached poll answer", value=len(self._cache))


class ConnectionCollector(Collector):
    """`vtn_gateway_connections_open`, `..._refused_total{reason}` and `..._timed_out_total{phase}` of the VEN door."""

    def __init__(self, ledger: ConnectionLedger) -> None:
        self._ledger = ledger

    def collect(self) -> Iterable[Metric]:
        return self._metrics()

    def _metrics(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(
            "vtn_gateway_connections_open", "VEN connections open, TLS handshakes included", value=self._ledger.open
        )
        refused = CounterMetricFamily(
            "vtn_gateway_connections_refused",
            "VEN connections closed by the gateway before serving them, by reason (global_cap, address_cap, "
            "client_cap: over a cap; tls_handshake_failed: no acceptable client certificate, or not TLS)",
            labels=["reason"],
        )
        for reason, count in sorted(self._ledger.refused.items()):
            refused.add_metric([reason], count)
        yield refused
        timed_out = CounterMetricFamily(
            "vtn_gateway_connections_timed_out",
            "VEN connections closed for taking too long, by phase (tls_handshake, request_headers, request_body, "
            "keepalive_idle)",
            labels=["phase"],
        )
        for phase, count in sorted(self._ledger.timed_out.items()):
            timed_out.add_metric([phase], count)
        yield timed_out
