"""Many VENs' sets worked out at once (event_svc.set_plans): each VEN gets exactly its own full set and digest,
and VENs whose sets hold the same events with the same targets share one set, made once."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from event_svc.delivery import Membership, digest, full_set
from event_svc.set_plans import plan_sets
from shared.oadr.target import Target
from tests.event_svc.test_delivery import MIN, NOW, stored

NAMES = ("a", "b", "c")


def test_vens_named_by_one_event_share_one_set() -> None:
    vens = [Membership(f"ven-{i}") for i in range(1000)]
    event = stored("everyone", targets=Target(ven_ids=tuple(v.ven_id for v in vens), resource_ids=("r1",)))
    plan = plan_sets([event], vens, NOW, "vtn")
    assert len(plan.sets) == 1 and len(plan.set_of) == 1000
    for ven in (vens[0], vens[999]):
        assert plan.events_for(ven.ven_id) == full_set([event], ven, NOW)
        assert plan.digest(ven.ven_id) == digest(full_set([event], ven, NOW))
    assert plan.shared_set("ven-7").events[0].targets == Target(resource_ids=("r1",))  # no venID in the shared set


def test_a_ven_no_event_is_for_gets_the_empty_set() -> None:
    plan = plan_sets([stored("a", targets=Target(group_ids=("north",)))], [Membership("lonely")], NOW, "vtn")
    assert plan.events_for("lonely") == () and plan.digest("lonely") == digest(())


def test_group_members_share_a_set_only_when_their_targets_are_the_same() -> None:
    events = [
        stored("north", targets=Target(group_ids=("north",))),
        stored("pumps", targets=Target(resource_ids=("pump", "fan")), priority=1),
    ]
    vens = [
        Membership("n1", group_ids=frozenset({"north"})),
        Membership("n2", group_ids=frozenset({"north"})),
        Membership("np", group_ids=frozenset({"north"}), resource_ids=frozenset({"pump"})),
        Membership("nf", group_ids=frozenset({"north"}), resource_ids=frozenset({"fan"})),
    ]
    plan = plan_sets(events, vens, NOW, "vtn")
    assert len(plan.sets) == 3 and plan.set_of["n1"] == plan.set_of["n2"]
    assert [e.descriptor.event_id for e in plan.events_for("np")] == ["pumps", "north"]


def test_the_clock_is_applied_to_shared_sets() -> None:
    event = stored("soon", start=NOW + MIN, targets=Target(ven_ids=("v",)))
    plan = plan_sets([event], [Membership("v")], NOW, "vtn")
    assert plan.events_for("v") == full_set([event], Membership("v"), NOW)
    assert plan.events_for("v")[0].descriptor.event_status == "near"


memberships = st.builds(
    lambda ven_id, groups, resources, parties: Membership(ven_id, groups, resources, parties),
    st.sampled_from(["v1", "v2", "v3", "v4", "v\u00e9&<5>"]),
    st.frozensets(st.sampled_from(NAMES), max_size=2),
    st.frozensets(st.sampled_from(NAMES), max_size=2),
    st.frozensets(st.sampled_from(NAMES), max_size=1),
)
targets = st.builds(
    Target,
    ven_ids=st.lists(st.sampled_from(["v1", "v2", "v3", "V1", "v\u00e9&<5>"]), max_size=3, unique=True).map(tuple),
    group_ids=st.lists(st.sampled_from(NAMES), max_size=2, unique=True).map(tuple),
    resource_ids=st.lists(st.sampled_from(NAMES), max_size=2, unique=True).map(tuple),
    party_ids=st.lists(st.sampled_from(NAMES), max_size=1, unique=True).map(tuple),
    end_device_assets=st.lists(st.sampled_from(["Thermostat", "Water_Heater"]), max_size=1).map(tuple),
)


@settings(max_examples=150, deadline=None)
@given(
    vens=st.lists(memberships, min_size=1, max_size=5, unique_by=lambda v: v.ven_id),
    event_targets=st.lists(st.tuples(targets, st.sampled_from([None, 0, 1, 2]), st.booleans()), max_size=5),
)
def test_every_ven_gets_its_own_full_set_and_digest(
    vens: list[Membership], event_targets: list[tuple[Target, int | None, bool]]
) -> None:
    events = [
        stored(f"e{i}", targets=t, priority=priority, cancelled=cancelled, start=NOW + (i - 2) * MIN)
        for i, (t, priority, cancelled) in enumerate(event_targets)
    ]
    plan = plan_sets(events, vens, NOW, "vtn")
    for ven in vens:
        expected = full_set(events, ven, NOW)
        assert plan.events_for(ven.ven_id) == expected
        assert plan.digest(ven.ven_id) == digest(expected)
    # one set per distinct content, none made twice
    assert len(plan.sets) == len({plan.shared_set(v.ven_id).events for v in vens})
