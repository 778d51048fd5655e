"""What every topic should look like (partitions, retention, cleanup policy), and how a live topic differs.

Pure: no Kafka here. `shared.bus.provision` reads the broker and applies or checks these specs; the
AsyncAPI document publishes them to backends.

Every topic uses `cleanup.policy=delete`: its records are requests, replies, notices and facts that
happened, not the latest state of a key, so compaction would drop history a backend may need. The
policy is still declared per topic so that a compacted topic is one line here.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared import topics
from shared.settings import VtnSettings

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
DEFAULT_RETENTION_MS = 7 * DAY_MS
DELETE = "delete"

# Topics whose records only matter for a short while: replies wait at most seconds; VEN-change notices
# and poll sightings are read by running processes that start at the end of the topic.
RETENTION_MS: dict[str, int] = {
    topics.GATEWAY_REPLIES: HOUR_MS,
    topics.VEN_CHANGES: DAY_MS,
    topics.PRESENCE_OBSERVATIONS: DAY_MS,
    # An operator needs time to look at what could not be handled.
    topics.DEAD_LETTERS: 30 * DAY_MS,
    # An audit trail is read months later (the console keeps its own copy in PostgreSQL).
    topics.OPERATOR_AUDIT: 365 * DAY_MS,
}
CLEANUP_POLICY: dict[str, str] = {}


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    retention_ms: int
    cleanup_policy: str = DELETE

    def configs(self) -> dict[str, str]:
        return {"retention.ms": str(self.retention_ms), "cleanup.policy": self.cleanup_policy}


@dataclass(frozen=True)
class LiveTopic:
    """What the broker reports about one existing topic."""

    name: str
    partitions: int
    configs: dict[str, str]


def topic_specs(settings: VtnSettings) -> list[TopicSpec]:
    """Requests and backend facts are partitioned by VEN; replies by gateway instance."""
    specs = []
    for name in topics.ALL_TOPICS:
        partitions = settings.reply_partitions if name == topics.GATEWAY_REPLIES else settings.topic_partitions
        specs.append(
            TopicSpec(
                name,
                partitions,
                RETENTION_MS.get(name, DEFAULT_RETENTION_MS),
                CLEANUP_POLICY.get(name, DELETE),
            )
        )
    return specs


def differences(spec: TopicSpec, live: LiveTopic | None) -> list[str]:
    """Why `live` does not match `spec` (empty when it does). More partitions than asked is fine."""
    if live is None:
        return [f"{spec.name}: missing"]
    found = []
    if live.partitions < spec.partitions:
        found.append(f"{spec.name}: {live.partitions} partitions, wanted at least {spec.partitions}")
    for key, wanted in spec.configs().items():
        actual = live.configs.get(key)
        if actual != wanted:
            found.append(f"{spec.name}: {key}={actual}, wanted {wanted}")
    return found
