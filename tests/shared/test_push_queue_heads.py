"""The pusher's head reads (shared.db.push_queue.heads_of): a set stored once for many VENs is parsed once per
read and each VEN's message made from it, equal to the message the stored body gives that VEN filled in; a
message of a VEN's own is read as it is."""

from __future__ import annotations

from typing import Any

from shared.db.push_queue import heads_of
from shared.oadr.event_sets import SharedEventSet, fill_body
from shared.oadr.messages import VTN_MESSAGE_ADAPTER
from shared.oadr.registration import RequestReregistration
from shared.oadr.target import Target
from tests.event_svc.test_delivery import stored

SET = SharedEventSet("vtn", (stored("a", targets=Target(group_ids=("north",))).event,))


def row(ven_id: str, pending_id: int | None, **columns: Any) -> dict[str, Any]:
    found = {"message": None, "body_id": None, "request_id": None, "body": None, **columns}
    return {
        "ven_id": ven_id,
        "transport_address": "https://ven.example.com",
        "fingerprint": None,
        "profile_name": "2.0b",
        "id": pending_id,
        "unmarked": [],
        **found,
    }


def test_vens_sharing_a_stored_set_get_their_copies_of_one_parsed_set() -> None:
    body = SET.body_json
    assert body is not None
    own = RequestReregistration(ven_id="ven-3")
    heads = heads_of(
        [
            row("ven-1", 11, body_id=7, request_id="r-1", body=body),
            row("ven-2", 12, body_id=7, request_id="r-2", body=body),
            row("ven-3", 13, message=own.model_dump_json()),
            row("ven-4", None),
        ]
    )
    for ven_id, request_id in (("ven-1", "r-1"), ("ven-2", "r-2")):
        head = heads[ven_id]
        assert head.message == VTN_MESSAGE_ADAPTER.validate_json(fill_body(body, ven_id, request_id))
        assert head.shared_set is not None and head.shared_set.set_id == SET.set_id
    assert heads["ven-1"].shared_set is heads["ven-2"].shared_set  # parsed once for both
    assert heads["ven-3"].message == own and heads["ven-3"].shared_set is None
    assert heads["ven-4"].message is None and heads["ven-4"].shared_set is None
