"""Report data lanes: a VEN's lane is its Kafka partition, and each lane goes with a report-request partition."""

from __future__ import annotations

from aiokafka.partitioner import DefaultPartitioner

from report_svc.ven_reports.publishing.lanes import lane_of, owned_lanes
from shared.bus.service_consumer import TopicAssignment


def test_a_vens_lane_is_the_partition_kafkas_default_partitioner_picks_for_its_key() -> None:
    partitioner = DefaultPartitioner()
    for lanes in (1, 4, 12):
        every = list(range(lanes))
        for n in range(300):
            ven_id = f"ven-{n:05d}"
            assert lane_of(ven_id, lanes) == partitioner(ven_id.encode(), every, every)


def test_an_instance_publishes_the_lanes_of_the_report_request_partitions_it_consumes() -> None:
    assert owned_lanes(4, TopicAssignment(frozenset({0, 1, 2, 3}), 4)) == {0, 1, 2, 3}
    assert owned_lanes(4, TopicAssignment(frozenset({1, 3}), 4)) == {1, 3}
    assert owned_lanes(4, TopicAssignment(frozenset(), 4)) == frozenset()


def test_instances_sharing_the_request_partitions_share_every_lane_exactly_once() -> None:
    for lanes, partition_count in ((4, 4), (12, 4), (4, 12), (6, 4)):
        split = [frozenset(p for p in range(partition_count) if p % 3 == member) for member in range(3)]
        owned = [owned_lanes(lanes, TopicAssignment(partitions, partition_count)) for partitions in split]
        assert sorted(lane for lanes_of_one in owned for lane in lanes_of_one) == list(range(lanes))


def test_no_lanes_before_the_topic_is_known() -> None:
    assert owned_lanes(4, TopicAssignment(frozenset({0}), 0)) == frozenset()
