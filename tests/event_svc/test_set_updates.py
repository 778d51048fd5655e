"""When a freshly worked-out set is queued (update_for)."""

from __future__ import annotations

from event_svc.delivery import digest, full_set, update_for
from tests.event_svc.test_delivery import NOW, VEN, stored


def test_a_changed_set_is_queued_as_the_next_version() -> None:
    events = full_set([stored("a")], VEN, NOW)
    update = update_for("ven-1", digest(events), True, "an older digest", 4)
    assert update.queue and update.save and update.version == 5 and update.digest == digest(events)


def test_an_unchanged_set_is_not_queued_again_unless_forced_with_events() -> None:
    events = full_set([stored("a")], VEN, NOW)
    same = update_for("ven-1", digest(events), True, digest(events), 4)
    assert not same.queue and not same.save and same.version == 4
    forced = update_for("ven-1", digest(events), True, digest(events), 4, force=True)
    assert forced.queue and forced.version == 5
    assert not update_for("ven-1", digest(()), False, digest(()), 4, force=True).queue


def test_an_empty_first_set_is_remembered_but_not_sent() -> None:
    update = update_for("ven-1", digest(()), False, None, 0)
    assert update.save and not update.queue and update.version == 0
