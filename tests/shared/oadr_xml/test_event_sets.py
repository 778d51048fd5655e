"""oadrDistributeEvent documents of a shared set, rendered once (shared.oadr_xml.event_sets): byte for byte
each VEN's own rendering, valid against the 2.0b schema."""

from __future__ import annotations

from lxml import etree

from shared.oadr.event_sets import REQUEST_MARK, SharedEventSet
from shared.oadr.target import Target
from shared.oadr_xml.codec import encode
from shared.oadr_xml.event_sets import SetDocuments, marked_document
from tests.conftest import assert_valid
from tests.event_svc.test_delivery import stored

EVENTS = (
    stored("a", targets=Target(group_ids=("north",), end_device_assets=("Thermostat",))).event,
    stored("b", targets=Target(resource_ids=("pump",)), priority=1).event,
)


def test_each_document_is_the_vens_own_rendering(official_schema: etree.XMLSchema) -> None:
    shared = SharedEventSet("vtn", EVENTS)
    documents = SetDocuments()
    for ven_id, request_id in (("ven-1", "r1"), ("v&<>\"'\u00e9", "r&2"), ("\u2603", "r\r3")):
        document = documents.document(shared.set_id, shared, ven_id, request_id)
        assert document == encode(shared.message(ven_id, request_id))
        assert_valid(official_schema, document)


def test_the_empty_set_has_a_document_too(official_schema: etree.XMLSchema) -> None:
    shared = SharedEventSet("vtn", ())
    document = SetDocuments().document(shared.set_id, shared, "ven-1", "r1")
    assert document == encode(shared.message("ven-1", "r1"))
    assert_valid(official_schema, document)


def test_a_set_whose_content_holds_a_mark_is_rendered_per_ven() -> None:
    descriptor = EVENTS[0].descriptor.model_copy(update={"vtn_comment": REQUEST_MARK})
    event = EVENTS[0].model_copy(update={"descriptor": descriptor})
    shared = SharedEventSet("vtn", (event,))
    assert marked_document(shared) is None
    assert SetDocuments().document(shared.set_id, shared, "ven-1", "r1") == encode(shared.message("ven-1", "r1"))


def test_a_set_is_rendered_once_for_all_its_vens() -> None:
    shared = SharedEventSet("vtn", EVENTS)
    documents = SetDocuments(sets_kept=2)
    documents.document(shared.set_id, shared, "ven-1", "r1")
    rendered = documents._rendered[shared.set_id]  # noqa: SLF001 - the rendering kept for the set
    documents.document(shared.set_id, shared, "ven-2", "r2")
    assert documents._rendered[shared.set_id] is rendered  # noqa: SLF001
    for n in range(3):
        other = SharedEventSet(f"vtn-{n}", EVENTS)
        documents.document(other.set_id, other, "ven-1", "r1")
    assert shared.set_id not in documents._rendered  # noqa: SLF001 - the least recently used set went first
