"""The unsigned OpenADR 2.0b document of a message pushed to one VEN, whatever carries it (HTTP, XMPP).

A VEN's copy of an event set it shares with others is written from the set's one rendering, the set named by
the head read that parsed it once for all of them (shared.db.push_queue.PushHead.shared_set); any other
message is encoded as it is (shared.oadr_xml.codec.encode, which also finds a set by content).
"""

from __future__ import annotations

from shared.oadr.event import DistributeEvent
from shared.oadr.event_sets import SharedEventSet
from shared.oadr.messages import VtnMessage
from shared.oadr_xml.codec import encode, encode_copy


def pushed_document(ven_id: str, message: VtnMessage, shared_set: SharedEventSet | None) -> bytes:
    """`encode(message)`; `shared_set`, when given, is the set `message` is `ven_id`'s copy of."""
    if shared_set is not None and isinstance(message, DistributeEvent):
        return encode_copy(shared_set, ven_id, message.request_id)
    return encode(message)
