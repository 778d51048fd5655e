"""Starts the pusher: `python -m gateway.push`. Wires settings -> resources -> the dispatcher and its consumer."""

from __future__ import annotations

import socket

from gateway.push.assembly import LANE_RULES, open_bus_tools, start_lanes
from gateway.push.connections import ConnectionPools
from gateway.push.dispatcher import PUSH_LANE_LOCKS
from gateway.push.http_push import HttpPushDeliverer
from gateway.push.push_tls import push_client_context
from gateway.security.setup import open_security
from shared.oadr.registration import TRANSPORT_SIMPLE_HTTP
from shared.oadr_xml.schema import load_schema
from shared.push_addresses import IpAddress, PushAddressPolicy, own_addresses_of
from shared.runtime import ServiceRuntime, run_service

SERVICE = "gateway.push"


def local_addresses() -> frozenset[IpAddress]:
    """This host's own addresses as its name resolves (the pod's address on Kubernetes)."""
    try:
        _, _, found = socket.gethostbyname_ex(socket.gethostname())
    except OSError:
        return frozenset()
    return own_addresses_of(found)


async def setup(runtime: ServiceRuntime) -> None:
    settings = runtime.settings
    schema = load_schema(settings.xsd_path)
    security = await open_security(settings, schema, runtime.stack, announce=False)
    bus = await open_bus_tools(runtime, f"push-{settings.instance_id}")
    policy = PushAddressPolicy.from_settings(settings, local_addresses())
    connections = ConnectionPools(
        policy, push_client_context(settings), settings.push_connections_per_host, settings.push_idle_connection_seconds
    )
    deliverer = HttpPushDeliverer(
        connections, policy, schema, security.security, settings.push_max_answer_bytes, settings.push_timeout_seconds,
        security.fingerprints,
    )  # fmt: skip
    runtime.stack.push_async_callback(deliverer.close)
    start_lanes(
        runtime, bus, deliverer, transport=TRANSPORT_SIMPLE_HTTP, lock_base=PUSH_LANE_LOCKS,
        housekeeping=connections.close_idle,
        forget_binding=security.fingerprints.invalidate if security.fingerprints is not None else None,
    )  # fmt: skip


if __name__ == "__main__":
    run_service(SERVICE, setup, LANE_RULES)
