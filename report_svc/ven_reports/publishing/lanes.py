"""Which lanes of report data an instance publishes. Pure: no database, no Kafka.

A lane is one partition of the report-data topic; every record of a VEN goes to the lane of its key, the
partition Kafka's default partitioner would pick. Each lane has one publisher at a time, so its records keep
their order and a publisher taking over knows that the partition's tail holds everything its predecessor
might have left unmarked.

An instance publishes the lanes of the oadrUpdateReports it consumes: lane L belongs to whichever instance the
consumer group assigned partition L (modulo that topic's partition count) of the report-requests topic. The
group spreads partitions over the instances, so the publishing spreads with it, and a lane moves when its
partition does.
"""

from __future__ import annotations

from shared.bus.partitioner import key_hash
from shared.bus.service_consumer import TopicAssignment


def lane_of(ven_id: str, lanes: int) -> int:
    """The lane (report-data partition) of a VEN's records: Kafka's default partition for its key."""
    return key_hash(ven_id.encode()) % lanes


def owned_lanes(lanes: int, assignment: TopicAssignment) -> frozenset[int]:
    """The lanes an instance publishes, given the report-request partitions it consumes."""
    if assignment.partition_count <= 0:
        return frozenset()
    return frozenset(lane for lane in range(lanes) if lane % assignment.partition_count in assignment.partitions)
