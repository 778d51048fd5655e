"""oadrDistributeEvent documents of a shared set, rendered once (shared.oadr_xml.event_sets): byte for byte
each VEN's own rendering, valid against the 2.0b schema, whether the set is named by a notice or found from
one VEN's message (codec.encode: forwarded poll answers, pushes); a message that is no copy of a shared set,
or holds values a fill could not write, is rendered as it is."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from lxml import etree

from event_svc import delivery
from shared.oadr import answers
from shared.oadr.event import DistributeEvent
from shared.oadr.event_sets import REQUEST_MARK, SharedEventSet
from shared.oadr.messages import VtnMessage
from shared.oadr.target import Target
from shared.oadr_xml.codec import encode, render
from shared.oadr_xml.event_sets import SetDocuments, marked_document
from tests.conftest import assert_valid
from tests.event_svc.test_delivery import stored

EVENTS = (
    stored("a", targets=Target(group_ids=("north",), end_device_assets=("Thermostat",))).event,
    stored("b", targets=Target(resource_ids=("pump",)), priority=1).event,
)


def test_each_document_is_the_vens_own_rendering(official_schema: etree.XMLSchema) -> None:
    shared = SharedEventSet("vtn", EVENTS)
    documents = SetDocuments(render)
    for ven_id, request_id in (("ven-1", "r1"), ("v&<>\"'\u00e9", "r&2"), ("\u2603", "r\r3")):
        document = documents.document(shared.set_id, shared, ven_id, request_id)
        assert document == render(shared.message(ven_id, request_id))
        assert_valid(official_schema, document)


def test_the_empty_set_has_a_document_too(official_schema: etree.XMLSchema) -> None:
    shared = SharedEventSet("vtn", ())
    document = SetDocuments(render).document(shared.set_id, shared, "ven-1", "r1")
    assert document == render(shared.message("ven-1", "r1"))
    assert_valid(official_schema, document)


def test_a_set_whose_content_holds_a_mark_is_rendered_per_ven() -> None:
    descriptor = EVENTS[0].descriptor.model_copy(update={"vtn_comment": REQUEST_MARK})
    event = EVENTS[0].model_copy(update={"descriptor": descriptor})
    shared = SharedEventSet("vtn", (event,))
    assert marked_document(shared, render) is None
    assert SetDocuments(render).document(shared.set_id, shared, "ven-1", "r1") == render(shared.message("ven-1", "r1"))


def test_a_set_is_rendered_once_for_all_its_vens() -> None:
    shared = SharedEventSet("vtn", EVENTS)
    documents = SetDocuments(render, sets_kept=2)
    documents.document(shared.set_id, shared, "ven-1", "r1")
    rendered = documents._rendered[shared.set_id]  # noqa: SLF001 - the rendering kept for the set
    documents.document(shared.set_id, shared, "ven-2", "r2")
    assert documents._rendered[shared.set_id] is rendered  # noqa: SLF001
    for n in range(3):
        other = SharedEventSet(f"vtn-{n}", EVENTS)
        documents.document(other.set_id, other, "ven-1", "r1")
    assert shared.set_id not in documents._rendered  # noqa: SLF001 - the least recently used set went first


NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def counting_renderer() -> tuple[list[VtnMessage], SetDocuments]:
    rendered: list[VtnMessage] = []

    def counting(message: VtnMessage) -> bytes:
        rendered.append(message)
        return render(message)

    return rendered, SetDocuments(counting)


def copies(vens: list[delivery.Membership], targets: Target) -> list[DistributeEvent]:
    events = [stored("a", targets=targets).event, stored("b", targets=targets, priority=1).event]
    kept = [delivery.StoredEvent(e) for e in events]
    return [
        DistributeEvent(request_id=f"request-{v.ven_id}", vtn_id="vtn", events=delivery.full_set(kept, v, NOW))
        for v in vens
    ]


def test_one_rendering_serves_every_vens_own_message(official_schema: etree.XMLSchema) -> None:
    vens = [delivery.Membership(f"ven-{n}") for n in range(50)]
    rendered, documents = counting_renderer()
    for message in copies(vens, Target(ven_ids=tuple(v.ven_id for v in vens))):
        document = documents.encode(message)
        assert document == render(message)
        assert_valid(official_schema, document)
    assert len(rendered) == 1
    assert encode(copies(vens[:1], Target(ven_ids=("ven-0",)))[0]) == render(
        copies(vens[:1], Target(ven_ids=("ven-0",)))[0]
    )


def test_vens_targeted_by_group_share_a_rendering_per_group() -> None:
    vens = [delivery.Membership("a", group_ids=frozenset({"g1"})), delivery.Membership("b", group_ids=frozenset({"g2"})),
            delivery.Membership("c", group_ids=frozenset({"g1"}))]  # fmt: skip
    rendered, documents = counting_renderer()
    for message in copies(vens, Target(group_ids=("g1", "g2"))):
        assert documents.encode(message) == render(message)
    assert len(rendered) == 2


@pytest.mark.parametrize(
    ("ven_id", "request_id"),
    [("ven & co <1>", "r1"), ("ven-1", "r<&>1"), ("ven-1", "ven-1"), ("a", "a")],
)
def test_values_with_markup_or_equal_to_each_other_are_filled_in_as_rendered(ven_id: str, request_id: str) -> None:
    [message] = copies([delivery.Membership(ven_id)], Target(ven_ids=(ven_id,)))
    message = message.model_copy(update={"request_id": request_id})
    assert SetDocuments(render).encode(message) == render(message)


def test_messages_that_are_no_copy_of_a_shared_set_are_rendered_as_they_are() -> None:
    two_vens = copies([delivery.Membership("a")], Target(ven_ids=("a",)))[0]
    events = (two_vens.events[0].model_copy(update={"targets": Target(ven_ids=("a", "b"))}), *two_vens.events[1:])
    answered = DistributeEvent(request_id="r", vtn_id="vtn", events=(), response=answers.ok("r"))
    unprintable = two_vens.model_copy(update={"request_id": "r\x01"})
    for message in (two_vens.model_copy(update={"events": events}), answered, unprintable):
        rendered, documents = counting_renderer()
        if message is not unprintable:
            assert documents.encode(message) == render(message)
        else:
            with pytest.raises(ValueError):
                documents.encode(message)  # the renderer refuses what XML cannot hold; no fill hides it
        assert [m for m in rendered if m is message] == [message]


def test_the_empty_set_is_filled_in_by_request_only() -> None:
    rendered, documents = counting_renderer()
    for request_id in ("r1", "r2"):
        message = DistributeEvent(request_id=request_id, vtn_id="vtn", events=())
        assert documents.encode(message) == render(message)
    assert len(rendered) == 1
