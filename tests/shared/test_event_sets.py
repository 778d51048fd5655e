"""One event set shared by many VENs (shared.oadr.event_sets): each VEN's message, and its JSON filled in from
the set's one stored body, are what the VEN's own message gives."""

from __future__ import annotations

from shared.oadr.event import DistributeEvent
from shared.oadr.event_sets import VEN_MARK, SharedEventSet, fill_body
from shared.oadr.messages import VTN_MESSAGE_ADAPTER
from shared.oadr.target import Target
from tests.event_svc.test_delivery import stored

EVENTS = (
    stored("a", targets=Target(group_ids=("north",))).event,
    stored("b", targets=Target(resource_ids=("pump",)), priority=1).event,
)
ODD_IDS = ("ven-1", 'v"\\\u00e9&<>\n', "\u2603")


def test_each_ven_is_the_only_ven_in_every_target_of_its_message() -> None:
    message = SharedEventSet("vtn", EVENTS).message("ven-1", "req-1")
    assert message.request_id == "req-1" and message.vtn_id == "vtn"
    assert [e.targets.ven_ids for e in message.events] == [("ven-1",), ("ven-1",)]
    assert message.events[0].targets.group_ids == ("north",)


def test_the_body_filled_in_is_the_message_of_each_ven() -> None:
    body = SharedEventSet("vtn", EVENTS).body_json
    assert body is not None
    for ven_id in ODD_IDS:
        parsed = VTN_MESSAGE_ADAPTER.validate_json(fill_body(body, ven_id, f"r-{ven_id}"))
        assert parsed == SharedEventSet("vtn", EVENTS).message(ven_id, f"r-{ven_id}")


def test_a_set_whose_content_holds_a_mark_has_no_body_to_fill() -> None:
    marked_comment = stored("c").event.model_copy(
        update={"descriptor": stored("c").event.descriptor.model_copy(update={"vtn_comment": VEN_MARK})}
    )
    shared = SharedEventSet("vtn", (marked_comment,))
    assert shared.body_json is None  # each VEN's copy is then stored whole
    message = shared.message("ven-9", "r")
    assert isinstance(message, DistributeEvent) and message.events[0].descriptor.vtn_comment == VEN_MARK


def test_equal_content_gives_equal_set_ids() -> None:
    assert SharedEventSet("vtn", EVENTS).set_id == SharedEventSet("vtn", EVENTS).set_id
    assert SharedEventSet("vtn", EVENTS).set_id != SharedEventSet("vtn", EVENTS[:1]).set_id
    assert SharedEventSet("vtn", EVENTS).set_id != SharedEventSet("other", EVENTS).set_id
