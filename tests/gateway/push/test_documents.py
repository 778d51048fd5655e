"""The document pushed to a VEN (gateway.push.documents): a copy of a set the head read named is written from
the set's one rendering, byte for byte what encoding the VEN's message gives, without looking for its set by
content; other messages are encoded as they are."""

from __future__ import annotations

import pytest

from gateway.push.documents import pushed_document
from shared.oadr.event_sets import SharedEventSet
from shared.oadr.registration import RequestReregistration
from shared.oadr.target import Target
from shared.oadr_xml import codec
from tests.event_svc.test_delivery import stored

SET = SharedEventSet("vtn", (stored("a", targets=Target(resource_ids=("pump",))).event,))


def test_a_copy_of_a_named_set_is_the_vens_own_encoding_made_without_finding_its_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    expected = {
        (ven_id, request_id): codec.encode(SET.message(ven_id, request_id))
        for ven_id, request_id in (("ven-1", "r-1"), ("v&<é", "r\r2"), ("ven\u2028", "r-3"))
    }

    def by_content(_: object) -> bytes:
        raise AssertionError("the set was looked for by content")

    monkeypatch.setattr(codec.EVENT_SETS, "encode", by_content)
    for (ven_id, request_id), document in expected.items():
        assert pushed_document(ven_id, SET.message(ven_id, request_id), SET) == document


def test_a_message_that_is_no_set_copy_is_encoded_as_it_is() -> None:
    message = RequestReregistration(ven_id="ven-1")
    assert pushed_document("ven-1", message, None) == codec.encode(message)
