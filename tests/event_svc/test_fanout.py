"""The fan-out's union of targets: every VEN any of the changes reached, now or before, and no other."""

from __future__ import annotations

from event_svc.fanout import reach
from shared.oadr.target import Target


def test_the_reach_of_several_changes_is_the_union_of_their_targets() -> None:
    now = Target(ven_ids=("v1", "v2"), group_ids=("north",))
    before = Target(ven_ids=("v2", "v3"), resource_ids=("pump",), party_ids=("p",))
    assert reach((now, before)) == Target(
        ven_ids=("v1", "v2", "v3"), group_ids=("north",), resource_ids=("pump",), party_ids=("p",)
    )
    assert reach(()) == Target()
