"""Starts the XMPP connector: `python -m gateway.xmpp`. Wires settings -> resources -> the XMPP session, the
VEN requests it hands on, and the lanes delivering to XMPP VENs."""

from __future__ import annotations

from gateway.exchange import ExchangeSettings, OadrExchange
from gateway.poll_answers import PollAnswerCache
from gateway.push.assembly import LANE_RULES, open_bus_tools, start_lanes
from gateway.push.dispatcher import PUSH_LANE_LOCKS
from gateway.security.setup import open_security
from gateway.waiting_polls import WaitingPolls
from gateway.xmpp.connection import XmppConnection, client_context
from gateway.xmpp.deliverer import XmppDeliverer
from gateway.xmpp.presence import VenPresence
from gateway.xmpp.signing import XmppFormSigner
from gateway.xmpp.ven_requests import XmppVenRequests
from shared.oadr.registration import TRANSPORT_XMPP
from shared.oadr_xml.schema import load_schema
from shared.runtime import ServiceRuntime, run_service
from shared.settings import VtnSettings

SERVICE = "gateway.xmpp"
XMPP_LANE_LOCKS = PUSH_LANE_LOCKS + 1000  # its own advisory lock per partition, beside the pusher's
DEFAULT_PORT = 5222


def server_of(settings: VtnSettings, domain: str) -> tuple[str, int]:
    """Where the XMPP server's client port is: VTN_XMPP_SERVER (host:port), else the domain, port 5222."""
    if not settings.xmpp_server:
        return domain, DEFAULT_PORT
    host, _, port = settings.xmpp_server.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"VTN_XMPP_SERVER {settings.xmpp_server!r} must be host:port")
    return host, int(port)


def tls_files(settings: VtnSettings) -> tuple[str, str, str | None, str | None]:
    """The VTN's client certificate and key, their passphrase, and the CA of the server's certificate."""
    if settings.xmpp_client_cert is not None and settings.xmpp_client_key is not None:
        cert, key, passphrase = settings.xmpp_client_cert, settings.xmpp_client_key, None
    elif settings.http_cert is not None and settings.http_key is not None:
        cert, key, passphrase = settings.http_cert, settings.http_key, settings.http_key_passphrase
    else:
        raise ValueError(
            "the XMPP connector logs in with a certificate: set VTN_XMPP_CLIENT_CERT and VTN_XMPP_CLIENT_KEY"
        )
    ca = settings.xmpp_ca_file or settings.http_ca_file
    return str(cert), str(key), passphrase, str(ca) if ca is not None else None


async def setup(runtime: ServiceRuntime) -> None:
    settings = runtime.settings
    domain = settings.xmpp_domain
    if domain is None or settings.xmpp_address is None:
        raise ValueError("the XMPP connector needs VTN_XMPP_ADDRESS, the VTN's JID on the XMPP server")
    schema = load_schema(settings.xsd_path)
    security = await open_security(
        settings, schema, runtime.stack, announce=False, clients_authenticated=True, signer_type=XmppFormSigner
    )
    instance = f"xmpp-{settings.instance_id}"
    bus = await open_bus_tools(runtime, instance)
    exchange = OadrExchange(
        bus.requester, schema, PollAnswerCache(ttl_seconds=0, max_entries=1), bus.sightings,
        ExchangeSettings(settings.reply_timeout_seconds, WaitingPolls(settings.max_waiting_polls)),
        security.security,
    )  # fmt: skip
    requests = XmppVenRequests(
        exchange, domain, settings.xmpp_max_payload_bytes, settings.xmpp_concurrency, security.refusals
    )
    cert, key, passphrase, ca = tls_files(settings)
    connection = XmppConnection(
        f"{settings.xmpp_address}/{instance}",
        server_of(settings, domain),
        client_context(cert, key, ca, passphrase),
        on_payload=requests,
    )
    deliverer = XmppDeliverer(
        connection, domain, schema, security.security, settings.push_timeout_seconds, security.fingerprints
    )
    dispatcher, reporter = start_lanes(
        runtime, bus, deliverer, transport=TRANSPORT_XMPP, lock_base=XMPP_LANE_LOCKS,
        forget_binding=security.fingerprints.invalidate if security.fingerprints is not None else None,
    )  # fmt: skip
    presence = VenPresence(runtime.pool, domain, dispatcher.owns, dispatcher.wake, reporter)
    connection.on_presence = presence

    async def session() -> None:
        if not connection.online:
            raise RuntimeError("not logged in to the XMPP server")

    runtime.readiness.add_check("xmpp", session)

    async def run_session() -> None:
        connection.start()
        await connection.closed()

    async def stop_session() -> None:
        await presence.stop()
        await connection.close()

    runtime.run(run_session, stop_session)


if __name__ == "__main__":
    run_service(SERVICE, setup, LANE_RULES)
