"""A 2.0a VEN's event set as the answer to any of its oadrRequestEvents, rendered once.

2.0a has no oadrPoll: a VEN pulls its set with oadrRequestEvent, and the answer echoes the request's requestID
in its eiResponse. The gateway caches one `SetAnswer` per VEN (gateway.poll_answers) and fills the requestID in
per request, so a pull answered from the cache costs a string join, not a render.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

from shared.oadr import profile_a
from shared.oadr.answers import ok
from shared.oadr.event import DistributeEvent
from shared.oadr_xml.profile_a.codec import encode

_MARKER = "@@requestID@@"


@dataclass(frozen=True, slots=True)
class SetAnswer:
    """An oadrDistributeEvent (2.0a) split where the eiResponse's requestID goes; `event_count`: the events
    it carries, for a request whose replyLimit is smaller (then it is answered another way)."""

    head: bytes
    tail: bytes
    event_count: int

    def answering(self, request_id: str) -> bytes:
        return self.head + escape(request_id).encode() + self.tail

    def fits(self, reply_limit: int | None) -> bool:
        """Whether this whole set answers a request with `reply_limit` (absent or 0: no limit)."""
        return not reply_limit or reply_limit >= self.event_count


def set_answer(message: DistributeEvent) -> SetAnswer:
    """The set of `message` as a 2.0a answer to any oadrRequestEvent (its eiResponse: 200, the request's ID)."""
    document = encode(message.model_copy(update={"response": ok(_MARKER)}))
    head, _, tail = document.partition(f">{_MARKER}<".encode())
    return SetAnswer(head + b">", b"<" + tail, len(message.events) - len(profile_a.left_out(message.events)))
