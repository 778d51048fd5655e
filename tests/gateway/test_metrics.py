"""The gateway's HTTP instrumentation and its collectors."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest

from gateway.metrics import NO_RESPONSE, HttpMetrics, HttpMetricsCollector, InstrumentedApp, PollCacheCollector
from gateway.poll_answers import PollAnswerCache

Message = MutableMapping[str, Any]


async def _answer_418(scope: Message, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 418, "headers": []})
    await send({"type": "http.response.body", "body": b""})


async def _hang_up(scope: Message, receive: Any, send: Any) -> None:
    return None


async def _call(app: InstrumentedApp, path: str) -> list[Message]:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request"}

    async def send(message: Message) -> None:
        sent.append(message)

    await app({"type": "http", "path": path}, receive, send)
    return sent


def _exposition(metrics: HttpMetrics) -> str:
    registry = CollectorRegistry()
    registry.register(HttpMetricsCollector(metrics))
    return generate_latest(registry).decode()


async def test_requests_are_counted_by_endpoint_and_status_and_timed() -> None:
    metrics = HttpMetrics()
    app = InstrumentedApp(_answer_418, metrics, {"/p/OadrPoll": "OadrPoll"}, other="oadr_other")
    sent = await _call(app, "/p/OadrPoll")
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]  # answers pass through
    await _call(app, "/p/OadrPoll")
    await _call(app, "/elsewhere")
    text = _exposition(metrics)
    assert 'vtn_http_requests_total{endpoint="OadrPoll",outcome="418"} 2.0' in text
    assert 'vtn_http_requests_total{endpoint="oadr_other",outcome="418"} 1.0' in text
    assert 'vtn_http_request_duration_seconds_count{endpoint="OadrPoll"} 2.0' in text
    assert 'vtn_http_request_duration_seconds_bucket{endpoint="OadrPoll",le="+Inf"} 2.0' in text


def test_latency_buckets_are_cumulative() -> None:
    metrics = HttpMetrics()
    stats = metrics.stats("OadrPoll")
    for seconds in (0.0001, 0.003, 0.003, 20.0):
        HttpMetrics.record(stats, "200", seconds)
    text = _exposition(metrics)
    assert 'vtn_http_request_duration_seconds_bucket{endpoint="OadrPoll",le="0.0005"} 1.0' in text
    assert 'vtn_http_request_duration_seconds_bucket{endpoint="OadrPoll",le="0.005"} 3.0' in text
    assert 'vtn_http_request_duration_seconds_bucket{endpoint="OadrPoll",le="10.0"} 3.0' in text
    assert 'vtn_http_request_duration_seconds_bucket{endpoint="OadrPoll",le="+Inf"} 4.0' in text
    assert 'vtn_http_request_duration_seconds_sum{endpoint="OadrPoll"} 20.0061' in text


async def test_a_request_without_an_answer_is_counted_as_such() -> None:
    metrics = HttpMetrics()
    await _call(InstrumentedApp(_hang_up, metrics, {}, other="admin"), "/x")
    assert f'vtn_http_requests_total{{endpoint="admin",outcome="{NO_RESPONSE}"}} 1.0' in _exposition(metrics)


def test_the_poll_cache_counters_are_read_at_scrape_time() -> None:
    cache = PollAnswerCache(ttl_seconds=60, max_entries=10)
    cache.store("ven-1", b"<x/>", True, cache.ticket())
    cache.lookup("ven-1")
    cache.lookup("ven-1")
    cache.lookup("ven-2")
    registry = CollectorRegistry()
    registry.register(PollCacheCollector(cache))
    text = generate_latest(registry).decode()
    assert "vtn_poll_cache_hits_total 2.0" in text
    assert "vtn_poll_cache_misses_total 1.0" in text
    assert "vtn_poll_cache_entries 1.0" in text
