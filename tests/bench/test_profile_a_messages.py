"""The 2.0a VEN's documents (bench.loadgen.profile_a_messages) are valid OpenADR 2.0a."""

from __future__ import annotations

import pytest

from bench.loadgen import profile_a_messages as messages
from tests.profile_a_ven import assert_valid_2_0a


@pytest.mark.parametrize(
    "body",
    [
        messages.request_event("ven-1", "r1"),
        messages.request_event("ven & <1>", 'r"2', reply_limit=5),
        messages.created_event(
            "ven-1", "r3", [messages.EventAnswer("e1", 0, "optIn", "r3"), messages.EventAnswer("e2", 4, "optOut", "r3")]
        ),
        messages.created_event("ven-1", "r4", []),
        messages.response(200, "set-1"),
        messages.response(454, "set-1", None),
    ],
)
def test_the_2_0a_ven_sends_valid_2_0a_documents(body: bytes) -> None:
    assert_valid_2_0a(body)


def test_a_ven_owes_answers_only_for_versions_it_has_not_answered() -> None:
    seen = messages.SeenAnswer(
        "oadrDistributeEvent",
        200,
        "OK",
        "q",
        "set-1",
        (
            messages.SeenEvent("e1", 0, "far", "always", (), ("v",), ()),
            messages.SeenEvent("e2", 1, "far", "always", (), ("v",), ()),
            messages.SeenEvent("e3", 0, "far", "never", (), ("v",), ()),
        ),
    )
    body = messages.answers_to("v", seen, answered=frozenset({("e1", 0)}))
    assert body is not None and b"e2" in body and b"e1" not in body and b"e3" not in body
    assert messages.answers_to("v", seen, answered=frozenset({("e1", 0), ("e2", 1)})) is None
