"""How the gateway records what it refuses: a metric every time, a log line at a bounded rate.

Every refusal path of the gateway (the security checks on a message, the client certificate, documents
that are no OpenADR, connections over a cap or timed out) counts each refusal in its Prometheus counter and
writes through one `ThrottledLog` (shared.throttled_log) on the logger `gateway.refusals`: the first lines
of each reason per period, then one summary line with how many were left out. The counters stay exact; the
log volume no longer follows the attacker's request rate.
"""

from __future__ import annotations

import logging
from collections import Counter

from prometheus_client import Counter as PrometheusCounter

from shared.throttled_log import DEFAULT_BURST, DEFAULT_PERIOD_SECONDS, ThrottledLog

REFUSAL_LOGGER = "gateway.refusals"
SECURITY_REFUSED = "security_refused"

SECURITY_REFUSALS = PrometheusCounter(
    "vtn_gateway_security_refusals", "VEN requests refused by the security checks, by reason", ["reason"]
)
DOCUMENT_REFUSALS = PrometheusCounter(
    "vtn_gateway_documents_refused",
    "Request bodies refused before any security check: not XML, not OpenADR 2.0b, not schema-valid (by reason)",
    ["reason"],
)


def refusal_log(burst: int = DEFAULT_BURST, period_seconds: float = DEFAULT_PERIOD_SECONDS) -> ThrottledLog:
    """A throttled log on the gateway's refusal logger."""
    return ThrottledLog(logging.getLogger(REFUSAL_LOGGER), burst=burst, period_seconds=period_seconds)


class SecurityRefusals:
    """Counts security refusals by reason (in `counts` and the Prometheus counter) and logs them throttled."""

    def __init__(self, log: ThrottledLog | None = None) -> None:
        self._log = log or refusal_log()
        self.counts: Counter[str] = Counter()

    def note(self, reason: str, detail: str) -> None:
        self.counts[reason] += 1
        SECURITY_REFUSALS.labels(reason).inc()
        self._log.warning(SECURITY_REFUSED, reason, "request refused by the security checks", detail=detail[:300])
