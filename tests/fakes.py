"""In-memory stand-ins for the bus, for tests of the gateway without Kafka."""

from __future__ import annotations

from collections.abc import Callable

from shared.bus.errors import BusUnavailable, ReplyTimeout
from shared.bus.request_reply import LateReplyHandler
from shared.contract.envelope import Envelope
from shared.contract.ven_traffic import ContractModel


class FakeRequester:
    """Answers each request with `answer(topic, envelope)`; None means the service does not reply in time (its
    reply may come later: `reply_late`)."""

    def __init__(self, answer: Callable[[str, Envelope], ContractModel | None]) -> None:
        self._answer = answer
        self.requests: list[tuple[str, Envelope]] = []
        self.kept_sending: list[bool] = []  # each request's keep_sending
        self._given_up: dict[str, LateReplyHandler | None] = {}

    async def request(
        self,
        topic: str,
        envelope: Envelope,
        timeout: float,
        on_late: LateReplyHandler | None = None,
        keep_sending: bool = False,
    ) -> Envelope:
        self.requests.append((topic, envelope))
        self.kept_sending.append(keep_sending)
        payload = self._answer(topic, envelope)
        if payload is None:
            self._given_up[envelope.correlation_id] = on_late
            raise ReplyTimeout(f"no reply from {topic}")
        return envelope.reply(payload)

    def reply_late(self, request: Envelope, payload: ContractModel) -> None:
        """The service's reply to a request given up on arrives now."""
        on_late = self._given_up.pop(request.correlation_id)
        if on_late is not None:
            on_late(request.reply(payload))


class RecordingBatcher:
    """Collects sightings instead of publishing them."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def saw(self, ven_id: str, at: float) -> None:
        self.seen.append(ven_id)


class FakePublisher:
    """Records published envelopes; with `failing`, raises BusUnavailable as a producer would."""

    def __init__(self, failing: bool = False) -> None:
        self.failing = failing
        self.published: list[tuple[str, Envelope]] = []

    async def publish(self, topic: str, envelope: Envelope, partition: int | None = None) -> None:
        if self.failing:
            raise BusUnavailable(f"could not publish to {topic}")
        self.published.append((topic, envelope))


class UnreachedExchange:
    """The OpenADR exchange behind a door no request should get through (its client is refused first)."""

    async def handle(self, service: str, body: bytes, context: object) -> None:
        raise AssertionError("a refused request reached the exchange")
