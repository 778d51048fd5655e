"""Topic specs: every topic has one, and differences between a live topic and its spec are named."""

from __future__ import annotations

from shared import topics
from shared.bus.topic_specs import DAY_MS, LiveTopic, TopicSpec, differences, topic_specs
from shared.settings import VtnSettings

SPEC = TopicSpec("oadr.x.v1", partitions=4, retention_ms=DAY_MS)


def test_every_topic_has_a_spec_with_a_cleanup_policy() -> None:
    specs = topic_specs(VtnSettings(reply_partitions=16))
    assert [s.name for s in specs] == list(topics.ALL_TOPICS)
    assert all(s.cleanup_policy == "delete" for s in specs)
    assert {s.name: s.partitions for s in specs}[topics.GATEWAY_REPLIES] == 16


def test_a_matching_topic_has_no_differences_and_more_partitions_is_fine() -> None:
    live = LiveTopic(SPEC.name, 8, {"retention.ms": str(DAY_MS), "cleanup.policy": "delete"})
    assert differences(SPEC, live) == []


def test_missing_topics_fewer_partitions_and_other_configs_are_reported() -> None:
    assert differences(SPEC, None) == ["oadr.x.v1: missing"]
    live = LiveTopic(SPEC.name, 2, {"retention.ms": "1", "cleanup.policy": "compact"})
    assert differences(SPEC, live) == [
        "oadr.x.v1: 2 partitions, wanted at least 4",
        f"oadr.x.v1: retention.ms=1, wanted {DAY_MS}",
        "oadr.x.v1: cleanup.policy=compact, wanted delete",
    ]
