"""A bound on the VEN requests one gateway has waiting on Kafka: a service's reply, or the record of a handout.

Past the bound the gateway answers at once HTTP 503 with `Retry-After` (an OpenADR 503 inside), instead of
adding the request to Kafka's queue. Without it an overload feeds itself: when the services or Kafka fall
behind, thousands of requests wait in the producer's queue (each woken at every batch it could join), the
event loop runs slower and reads Kafka's answers later, so more requests time out, each after holding its
place for the whole reply timeout. With it, the requests beyond what the bus drains are refused for the
cost of a cached answer, and the ones admitted are answered in time.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge

from shared.settings import VtnSettings

SHED = Counter(
    "vtn_gateway_requests_shed_total",
    "VEN requests answered 503 at once because too many were waiting on Kafka (VTN_MAX_WAITING_REQUESTS)",
)
WAITING = Gauge("vtn_gateway_requests_waiting", "VEN requests waiting on Kafka (a service's reply or a handout record)")


def default_limit() -> int:
    """VTN_MAX_WAITING_REQUESTS's default."""
    return int(VtnSettings.model_fields["max_waiting_requests"].default)


class WaitingRequests:
    """The requests waiting on Kafka, shared by every exchange of one gateway."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("the bound on waiting requests must be at least 1")
        self._limit = limit
        self._waiting = 0

    def enter(self) -> bool:
        """Take a place, if one is free (then `leave` once done); False: the request is to be refused."""
        if self._waiting >= self._limit:
            SHED.inc()
            return False
        self._waiting += 1
        WAITING.inc()
        return True

    def leave(self) -> None:
        self._waiting -= 1
        WAITING.dec()

    def __len__(self) -> int:
        return self._waiting
