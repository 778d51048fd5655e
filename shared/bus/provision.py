"""Create every topic of the VTN with its partitions, retention and cleanup policy, or check them.

    python -m shared.bus.provision           create missing topics; report existing ones that differ
    python -m shared.bus.provision --check   change nothing; exit 1 if any topic is missing or differs

Safe to run again. Existing topics are never changed: adding partitions moves VENs to other partitions
(their order across the move is lost) and altering configs could reset an operator's own settings, so
both are reported for a person to decide. Run by `make run`, the compose file's `setup` service and the
Kubernetes `vtn-setup` Job.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from shared.bus import clients
from shared.bus.broker_access import check_broker_access
from shared.bus.connection import kafka_connection
from shared.bus.topic_specs import LiveTopic, TopicSpec, differences, topic_specs
from shared.misconfigured import Misconfigured, exits_when_misconfigured
from shared.settings import VtnSettings
from shared.startup import start_process

log = logging.getLogger(__name__)


async def _connect(settings: VtnSettings, connect_timeout: float) -> AIOKafkaAdminClient:
    """The admin client, once a broker is reachable and accepts this process (Misconfigured if it never will)."""
    kafka = kafka_connection(settings)
    await check_broker_access(kafka, connect_timeout)
    admin = clients.admin_client(kafka, client_id="vtn-provision")
    await admin.start()
    return admin


async def _live_topics(admin: AIOKafkaAdminClient, specs: list[TopicSpec]) -> dict[str, LiveTopic]:
    existing = set(await admin.list_topics())
    names = [spec.name for spec in specs if spec.name in existing]
    if not names:
        return {}
    partitions = {t["topic"]: len(t["partitions"]) for t in await admin.describe_topics(names)}
    wanted_keys = {key: None for key in ("retention.ms", "cleanup.policy")}
    responses = await admin.describe_configs(
        [ConfigResource(ConfigResourceType.TOPIC, name, dict(wanted_keys)) for name in names]
    )
    configs: dict[str, dict[str, str]] = {}
    for response in responses:
        for resource in response.to_object()["resources"]:
            entries = resource["config_entries"]
            configs[resource["resource_name"]] = {e["config_names"]: e["config_value"] for e in entries}
    return {name: LiveTopic(name, partitions.get(name, 0), configs.get(name, {})) for name in names}


async def provision(settings: VtnSettings, *, check_only: bool = False, connect_timeout: float = 60.0) -> list[str]:
    """Create what is missing (unless `check_only`); return the differences that remain."""
    admin = await _connect(settings, connect_timeout)
    try:
        specs = topic_specs(settings)
        live = await _live_topics(admin, specs)
        missing = [spec for spec in specs if spec.name not in live]
        if missing and not check_only:
            await admin.create_topics(
                [
                    NewTopic(
                        name=spec.name,
                        num_partitions=spec.partitions,
                        replication_factor=settings.topic_replication_factor,
                        topic_configs=spec.configs(),
                    )
                    for spec in missing
                ]
            )
            for spec in missing:
                log.info("topic created", extra={"action": "topic_created", "topic": spec.name})
            live = await _live_topics(admin, specs)
        problems = [problem for spec in specs for problem in differences(spec, live.get(spec.name))]
        for problem in problems:
            log.warning("topic differs", extra={"action": "topic_differs", "detail": problem})
        if not problems:
            log.info("topics ready", extra={"action": "topics_ready", "count": len(specs), "check_only": check_only})
        return problems
    finally:
        await admin.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m shared.bus.provision", description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a topic is missing or differs")
    args = parser.parse_args(argv)
    settings = start_process("provision")
    with exits_when_misconfigured():
        try:
            problems = asyncio.run(provision(settings, check_only=args.check))
        except Misconfigured:
            raise  # named by exits_when_misconfigured
        except Exception as exc:
            log.error("provisioning failed", extra={"action": "provision_failed", "error": repr(exc)})
            sys.exit(1)
    # Creating never fails on a difference an operator must resolve; checking does.
    if problems and args.check:
        sys.exit(1)


if __name__ == "__main__":
    main()
