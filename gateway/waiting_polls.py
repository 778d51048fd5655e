"""A bound on the polls one gateway has forwarded to registration_svc (oadrPoll; oadrRequestEvent of a 2.0a VEN)
and waits on.

Past the bound the gateway answers a poll at once HTTP 503 with `Retry-After` (an OpenADR 503 inside), instead
of adding it to Kafka's queue; the VEN polls again at its next interval, and loses nothing. Without the bound
an overload feeds itself: when the services or Kafka fall behind, thousands of polls wait in the producer's
queue (each woken at every batch it could join), the event loop runs slower and reads Kafka's answers later,
so more polls time out, and the VENs' next polls are forwarded again. Other requests (event answers, reports,
registrations) are not refused here: one refused would wait for the VTN's resend, and they come once per
change, not once per interval; nor are the records of handouts, which ask no service.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge

from shared.settings import VtnSettings

SHED = Counter(
    "vtn_gateway_polls_shed_total",
    "Polls answered 503 at once because too many forwarded ones were waiting (VTN_MAX_WAITING_POLLS)",
)
WAITING = Gauge("vtn_gateway_polls_waiting", "Polls forwarded to registration_svc and waiting for its reply")


def default_limit() -> int:
    """VTN_MAX_WAITING_POLLS's default."""
    return int(VtnSettings.model_fields["max_waiting_polls"].default)


class WaitingPolls:
    """The polls waiting on Kafka, shared by every exchange of one gateway."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("the bound on waiting polls must be at least 1")
        self._limit = limit
        self._waiting = 0

    def enter(self) -> bool:
        """Take a place, if one is free (then `leave` once done); False: the poll is to be refused."""
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
