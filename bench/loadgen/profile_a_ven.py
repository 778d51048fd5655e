"""One simulated OpenADR 2.0a VEN: the operator provisions its venID (2.0a has no registration), and it pulls
its event set with oadrRequestEvent on its own keep-alive connection (2.0a has no oadrPoll), answering each event
version it owes once with oadrCreatedEvent. Its documents: bench.loadgen.profile_a_messages."""

from __future__ import annotations

import uuid

from bench.loadgen import profile_a_messages as messages
from bench.loadgen.config import VtnAddress
from bench.loadgen.connection import KeepAliveConnection, build_post_to
from bench.loadgen.profile_a_messages import EI_EVENT_PATH, SeenAnswer


class PullingVen:
    def __init__(self, ven_id: str, address: VtnAddress, request_timeout: float) -> None:
        self.ven_id = ven_id
        self._address = address
        self._connection = KeepAliveConnection(address.host, address.port, request_timeout, None)
        self.answered: set[tuple[str, int]] = set()

    async def pull(self) -> SeenAnswer | None:
        """The VTN's answer to one oadrRequestEvent; None when it is not a 200 with a 2.0a document."""
        body = messages.request_event(self.ven_id, uuid.uuid4().hex)
        response = await self._connection.send(build_post_to(self._address, EI_EVENT_PATH, body))
        if response.status != 200:
            return None
        try:
            return messages.read_answer(response.body)
        except ValueError:
            return None

    async def answer(self, seen: SeenAnswer, opt_type: str = "optIn") -> bool:
        """Answer the event versions of `seen` it owes; True when the VTN acknowledged (or none were owed). A
        refused answer (a 503, say) is owed again at the next pull."""
        body = messages.answers_to(self.ven_id, seen, opt_type, frozenset(self.answered))
        if body is None:
            return True
        acknowledged = await self.post(body)
        if acknowledged:
            self.answered.update((e.event_id, e.modification_number) for e in seen.events)
        return acknowledged

    async def post(self, body: bytes) -> bool:
        """Send one document to the VTN; True when it answered 200 with an OpenADR 200."""
        response = await self._connection.send(build_post_to(self._address, EI_EVENT_PATH, body))
        return response.status == 200 and messages.read_answer(response.body).response_code == 200

    async def close(self) -> None:
        await self._connection.aclose()
