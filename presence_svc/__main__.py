"""Wires presence_svc: settings -> resources -> consumers and the offline sweep."""

from __future__ import annotations

from presence_svc.handlers import PresenceHandlers
from presence_svc.history_purge import PURGE_EVERY_SECONDS, HistoryPurge
from presence_svc.online_gauge import REFRESH_SECONDS, OnlineGauge
from presence_svc.tracker import PresenceTracker
from shared import topics
from shared.bus.service_consumer import ServiceRules
from shared.db.transient import TRANSIENT_DATABASE_ERRORS
from shared.plugins import load_optional
from shared.runtime import ServiceRuntime, run_service

SERVICE = "presence_svc"
RULES = ServiceRules(TRANSIENT_DATABASE_ERRORS)  # its records are sightings and presence facts: none goes stale


async def setup(runtime: ServiceRuntime) -> None:
    settings = runtime.settings
    silence = settings.offline_after_missed_polls * settings.poll_interval_seconds
    tracker = PresenceTracker(runtime.pool, runtime.relay, silence)
    runtime.consume([topics.PRESENCE_OBSERVATIONS], tracker.on_observations)
    runtime.every(settings.presence_sweep_seconds, tracker.sweep, "offline_sweep")
    runtime.every(REFRESH_SECONDS, OnlineGauge(runtime.pool).refresh, "vens_online_gauge")
    runtime.every(
        PURGE_EVERY_SECONDS, HistoryPurge(runtime.pool, settings.presence_history_days), "presence_history_purge"
    )
    handlers = PresenceHandlers(load_optional(settings.on_ven_online), load_optional(settings.on_ven_offline))
    if handlers.configured:
        runtime.consume([topics.PRESENCE_EVENTS], handlers, ".handlers")


if __name__ == "__main__":
    run_service(SERVICE, setup, RULES)
