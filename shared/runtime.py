"""What every service process shares: open resources in order, run tasks until SIGTERM, close in reverse.

A service's main calls `run_service` with a function that registers its consumers and background tasks on
the `ServiceRuntime`, and its consumers' rules (which errors are transient, which requests go stale). The health server (`/healthz`, `/readyz`,
`/metrics` on VTN_HEALTH_PORT) starts first, so liveness answers while the pool and the broker are
awaited; readiness turns true once every consumer runs and false again as soon as SIGTERM arrives.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any

import asyncpg

from shared.bus.broker_access import check_broker_access
from shared.bus.connection import KafkaConnection, kafka_connection
from shared.bus.producer import BusProducer
from shared.bus.service_consumer import BatchHandler, Handler, ServiceConsumer, ServiceRules
from shared.db.access import database_access
from shared.db.outbox import OutboxRelay
from shared.db.pool import open_pool
from shared.gc_tuning import freeze_startup_heap
from shared.health import HealthServer, Readiness, database_check, health_port_for
from shared.metrics import EventLoopLagMonitor
from shared.settings import VtnSettings
from shared.startup import run_process

log = logging.getLogger(__name__)

INBOX_RETENTION = "1 day"
HOUSEKEEPING_SECONDS = 600.0


class ServiceRuntime:
    def __init__(
        self,
        settings: VtnSettings,
        service_name: str,
        pool: asyncpg.Pool,
        kafka: KafkaConnection,
        producer: BusProducer,
        readiness: Readiness | None = None,
        rules: ServiceRules | None = None,
        stack: contextlib.AsyncExitStack | None = None,
    ) -> None:
        self.settings = settings
        self.rules = rules or ServiceRules()
        self.kafka = kafka
        # Resources a service opens in its setup, closed after the drain, in reverse order
        self.stack = stack or contextlib.AsyncExitStack()
        self.readiness = readiness or Readiness()
        self.service_name = service_name
        self.pool = pool
        self.producer = producer
        self.relay = OutboxRelay(pool, producer)
        self.consumers: list[ServiceConsumer] = []
        self._background: list[Callable[[], Coroutine[Any, Any, None]]] = []
        self._workers: list[tuple[Callable[[], Coroutine[Any, Any, None]], Callable[[], Awaitable[None]]]] = []

    def consume(
        self,
        topic_names: Sequence[str],
        handler: Handler,
        group_suffix: str = "",
        batch_handler: BatchHandler | None = None,
        max_records: int = 200,
    ) -> ServiceConsumer:
        """Add a consumer in this service's group (one group per service and purpose)."""
        consumer = ServiceConsumer(
            kafka=self.kafka,
            group_id=f"vtn.{self.service_name}{group_suffix}",
            topic_names=topic_names,
            handler=handler,
            producer=self.producer,
            client_id=f"{self.service_name}-{self.settings.instance_id}",
            stale_after_seconds=self.settings.reply_timeout_seconds,
            rules=self.rules,
            batch_handler=batch_handler,
            max_records=max_records,
        )
        self.consumers.append(consumer)
        self.readiness.add_check(f"kafka:{consumer.group_id}", consumer.check_connected)
        return consumer

    def every(self, seconds: float, job: Callable[[], Awaitable[None]], name: str) -> None:
        """Run `job` periodically; a failing run is logged and retried at the next tick."""

        async def loop() -> None:
            while True:
                await asyncio.sleep(seconds)
                try:
                    await job()
                except Exception as exc:
                    log.warning("periodic job failed", extra={"action": "job_failed", "job": name, "error": repr(exc)})

        self._background.append(loop)

    def run(self, work: Callable[[], Coroutine[Any, Any, None]], stop: Callable[[], Awaitable[None]]) -> None:
        """Run `work` as a task for the life of the service; on SIGTERM `stop` is awaited (it should make `work`
        finish what it has in hand and return) before the consumers stop."""
        self._workers.append((work, stop))

    async def _purge_inbox(self) -> None:
        await self.pool.execute(f"DELETE FROM inbox WHERE processed_at < now() - interval '{INBOX_RETENTION}'")

    async def run_until_stopped(self, stop: asyncio.Event) -> None:
        self.every(HOUSEKEEPING_SECONDS, self._purge_inbox, "purge_inbox")
        for consumer in self.consumers:
            await consumer.start()
        tasks = [asyncio.create_task(self.relay.run(), name="outbox-relay")]
        tasks += [asyncio.create_task(c.run(), name="consumer") for c in self.consumers]
        tasks += [asyncio.create_task(job(), name="periodic") for job in self._background]
        tasks += [asyncio.create_task(work(), name="worker") for work, _ in self._workers]
        self.readiness.mark_started()
        log.info("service started", extra={"action": "service_started", "service": self.service_name})
        stopper = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait([stopper, *tasks], return_when=asyncio.FIRST_COMPLETED)
        self.readiness.mark_stopping()
        for task in done:
            if task is not stopper and task.exception() is not None:
                log.error("task died", extra={"action": "task_died", "error": repr(task.exception())})
        # Drain: workers finish what they have in hand; consumers the batch in hand, and commit; then the relay
        # publishes what is left.
        for _, stop_work in self._workers:
            try:
                await stop_work()
            except Exception as exc:
                log.error("worker did not stop cleanly", extra={"action": "worker_stop_failed", "error": repr(exc)})
        for consumer in self.consumers:
            await consumer.stop()
        consumer_tasks = tasks[1 : 1 + len(self.consumers)]
        await asyncio.wait(consumer_tasks, timeout=15)
        await self.relay.stop()
        await asyncio.wait(tasks[:1], timeout=10)
        for task in tasks:
            task.cancel()
        for consumer in self.consumers:
            with contextlib.suppress(Exception):
                await consumer.close()
        stopper.cancel()


Setup = Callable[[ServiceRuntime], Awaitable[None]]


async def _serve(settings: VtnSettings, service_name: str, setup: Setup, rules: ServiceRules) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with contextlib.AsyncExitStack() as stack:
        readiness = Readiness()
        health = HealthServer(readiness, settings.health_host, health_port_for(service_name, settings.health_port))
        await health.start()
        stack.push_async_callback(health.stop)
        loop_lag = asyncio.create_task(EventLoopLagMonitor().run(), name="event-loop-lag")
        stack.callback(loop_lag.cancel)
        pool = await open_pool(database_access(settings), settings.database_pool_min, settings.database_pool_max)
        stack.push_async_callback(pool.close)
        readiness.add_check("postgres", database_check(pool))
        kafka = kafka_connection(settings)
        await check_broker_access(kafka)
        producer = BusProducer(kafka, client_id=f"{service_name}-{settings.instance_id}")
        await producer.start()
        stack.push_async_callback(producer.stop)
        runtime = ServiceRuntime(settings, service_name, pool, kafka, producer, readiness, rules, stack)
        await setup(runtime)
        freeze_startup_heap()
        await runtime.run_until_stopped(stop)
    log.info("service stopped", extra={"action": "service_stopped", "service": service_name})


def run_service(service_name: str, setup: Setup, rules: ServiceRules) -> None:
    """Run the service: `setup` registers its consumers and jobs; `rules` say which of its handlers' errors are
    transient and which of its requests go stale."""
    run_process(service_name, lambda settings: _serve(settings, service_name, setup, rules))
