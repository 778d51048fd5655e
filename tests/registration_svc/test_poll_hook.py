"""VTN_ON_POLL: what OpenLEADR's `on_poll` may return becomes the VEN's next message; every answer is
non-cacheable, so the gateway asks again on the next poll; a failing handler means "nothing pending"."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from lxml import etree

from registration_svc.poll_hook import PollHook, message_from_handler
from shared.oadr.event import DistributeEvent
from shared.oadr.registration import RequestReregistration, Response
from shared.oadr_xml.codec import encode
from shared.openleadr_events import InvalidHandlerEvents
from tests.conftest import assert_valid
from tests.shared.test_openleadr_events import event_dict, openleadr_event

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def message(result: Any) -> object:
    return message_from_handler(result, "ven-1", "vtn", "req-1", NOW)


def test_nothing_and_a_bare_response_mean_nothing_pending() -> None:
    assert message(None) is None
    assert message(("oadrResponse", {})) is None


def test_events_in_every_form_openleadr_accepts_make_an_oadr_distribute_event(official_schema: etree.XMLSchema) -> None:
    as_tuple = ("oadrDistributeEvent", {"events": [event_dict()]})
    forms = (openleadr_event(), event_dict(), [openleadr_event(), event_dict()], as_tuple)
    for result in forms:
        distribute = message(result)
        assert isinstance(distribute, DistributeEvent) and distribute.events and distribute.vtn_id == "vtn"
        assert_valid(official_schema, encode(distribute))


def test_a_reregistration_request_is_addressed_to_the_polling_ven(official_schema: etree.XMLSchema) -> None:
    request = message(("oadrRequestReregistration", {}))
    assert request == RequestReregistration(ven_id="ven-1")
    assert_valid(official_schema, encode(request))


@pytest.mark.parametrize(
    "bad", [("oadrCancelPartyRegistration", {"registration_id": "r"}), ("oadrDistributeEvent", []), 42, "x"]
)
def test_other_messages_are_refused(bad: Any) -> None:
    with pytest.raises(InvalidHandlerEvents):
        message(bad)


async def test_every_reply_is_non_cacheable_and_a_failing_handler_means_nothing_pending() -> None:
    answers: list[Any] = [None, openleadr_event()]

    async def on_poll(ven_id: str) -> Any:
        return answers.pop(0)

    def broken(ven_id: str) -> Any:
        raise RuntimeError("boom")

    hook = PollHook(on_poll, "vtn")
    nothing, event = await hook.reply("ven-1"), await hook.reply("ven-1")
    failed = await PollHook(broken, "vtn").reply("ven-1")
    assert not (nothing.cacheable or event.cacheable or failed.cacheable)
    assert isinstance(nothing.message, Response) and isinstance(failed.message, Response)
    assert isinstance(event.message, DistributeEvent)
