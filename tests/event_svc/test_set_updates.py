"""Many VENs' sets at once (delivery.full_sets) and when a freshly worked-out set is queued (update_for)."""

from __future__ import annotations

from event_svc.delivery import Audience, Membership, digest, full_set, full_sets, update_for
from shared.oadr.target import Target
from tests.event_svc.test_delivery import NOW, VEN, stored

OTHER = Membership(ven_id="ven-2", group_ids=frozenset({"south"}), party_ids=frozenset({"utility"}))
LONELY = Membership(ven_id="ven-3")


def test_an_audience_reaches_a_ven_by_id_or_by_any_membership() -> None:
    audience = Audience.of(Target(ven_ids=("ven-3",), group_ids=("north",), party_ids=("utility",)))
    assert audience.reaches(VEN) and audience.reaches(OTHER) and audience.reaches(LONELY)
    assert not Audience.of(Target(resource_ids=("boiler",))).reaches(VEN)
    assert Audience.of(Target(resource_ids=("pump",))).reaches(VEN)


def test_full_sets_equal_each_vens_own_full_set() -> None:
    events = [
        stored("for-north", targets=Target(group_ids=("north",))),
        stored("for-everyone", targets=Target(ven_ids=("ven-1", "ven-2", "ven-3"))),
        stored("for-south", targets=Target(group_ids=("south",)), priority=1),
    ]
    sets = full_sets(events, [VEN, OTHER, LONELY], NOW)
    assert set(sets) == {"ven-1", "ven-2", "ven-3"}
    for ven in (VEN, OTHER, LONELY):
        assert sets[ven.ven_id] == full_set(events, ven, NOW)
    assert [e.descriptor.event_id for e in sets["ven-2"]] == ["for-south", "for-everyone"]
    assert [e.descriptor.event_id for e in sets["ven-3"]] == ["for-everyone"]


def test_a_changed_set_is_queued_as_the_next_version() -> None:
    events = full_set([stored("a")], VEN, NOW)
    update = update_for("ven-1", events, "an older digest", 4)
    assert update.queue and update.save and update.version == 5 and update.digest == digest(events)


def test_an_unchanged_set_is_not_queued_again_unless_forced_with_events() -> None:
    events = full_set([stored("a")], VEN, NOW)
    same = update_for("ven-1", events, digest(events), 4)
    assert not same.queue and not same.save and same.version == 4
    forced = update_for("ven-1", events, digest(events), 4, force=True)
    assert forced.queue and forced.version == 5
    assert not update_for("ven-1", (), digest(()), 4, force=True).queue


def test_an_empty_first_set_is_remembered_but_not_sent() -> None:
    update = update_for("ven-1", (), None, 0)
    assert update.save and not update.queue and update.version == 0
