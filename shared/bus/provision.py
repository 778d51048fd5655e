"""Create every topic of the VTN with its partitions and retention, or check that it exists.

Run as `python -m shared.bus.provision`; safe to run again (existing topics are left as they are, and
one with fewer partitions than asked is reported).
"""

from __future__ import annotations

import asyncio
import logging
import sys
from dataclasses import dataclass

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError

from shared import topics
from shared.logs import configure_logging
from shared.settings import VtnSettings

log = logging.getLogger(__name__)

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    retention_ms: int


def topic_specs(settings: VtnSettings) -> list[TopicSpec]:
    """Requests and backend facts are partitioned by VEN; replies by gateway instance."""
    short_lived = {topics.GATEWAY_REPLIES: HOUR_MS, topics.VEN_CHANGES: DAY_MS, topics.PRESENCE_OBSERVATIONS: DAY_MS}
    specs = []
    for name in topics.ALL_TOPICS:
        partitions = settings.reply_partitions if name == topics.GATEWAY_REPLIES else settings.topic_partitions
        specs.append(TopicSpec(name, partitions, short_lived.get(name, 7 * DAY_MS)))
    return specs


async def provision(settings: VtnSettings, connect_timeout: float = 60.0) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap, client_id="vtn-provision")
    deadline = asyncio.get_running_loop().time() + connect_timeout
    while True:
        try:
            await admin.start()
            break
        except KafkaConnectionError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(1)
    try:
        existing = set(await admin.list_topics())
        wanted = topic_specs(settings)
        missing = [
            NewTopic(
                name=spec.name,
                num_partitions=spec.partitions,
                replication_factor=settings.topic_replication_factor,
                topic_configs={"retention.ms": str(spec.retention_ms)},
            )
            for spec in wanted
            if spec.name not in existing
        ]
        if missing:
            await admin.create_topics(missing)
        for spec in wanted:
            log.info("topic ready", extra={"action": "topic_ready", "topic": spec.name, "newly_created": spec.name not in existing})
    finally:
        await admin.close()


def main() -> None:
    settings = VtnSettings()
    configure_logging("provision", settings.log_level)
    try:
        asyncio.run(provision(settings))
    except Exception as exc:
        log.error("provisioning failed", extra={"action": "provision_failed", "error": repr(exc)})
        sys.exit(1)


if __name__ == "__main__":
    main()
