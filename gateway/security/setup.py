"""Builds the gateway's security from settings: TLS context, client identity, signer, verifier, replay
guard and the venID -> fingerprint directory, each resource owned by the caller's exit stack.

    HTTPS (VTN_HTTP_CERT/VTN_HTTP_ECC_CERT + VTN_HTTP_CA_FILE) or trusted proxy (VTN_TRUSTED_PROXIES +
    VTN_HTTP_CA_FILE, the forwarded certificate verified as a handshake would):
        client certificate required, venID bound to it, signatures verified when present
    VTN_CERT + VTN_KEY: every answer signed
    plain HTTP: development only, logged loudly; refused when VTN_ENVIRONMENT=production
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import sys
from dataclasses import dataclass

import asyncpg
from lxml import etree

from gateway.refusals import SecurityRefusals
from gateway.security.forwarded_certificates import ForwardedCertificates
from gateway.security.identity import ClientIdentity
from gateway.security.message_security import MessageSecurity, SecurityPolicy
from gateway.security.replay import MemoryNonceStore, NonceStore, PostgresNonceStore, ReplayGuard
from gateway.security.signatures import MessageSigner
from gateway.security.tls import ServerCertificate, client_verifying_context, server_context
from gateway.security.ven_identity import (
    CachedFingerprints,
    DirectoryFingerprints,
    FingerprintSource,
    HandlerFingerprints,
)
from shared.db.access import database_access
from shared.db.pool import open_pool
from shared.plugins import load_optional
from shared.settings import Environment, NonceStoreName, VtnSettings
from shared.throttled_log import ThrottledLog

log = logging.getLogger(__name__)

NONCE_PURGE_SECONDS = 60.0


@dataclass
class GatewaySecurity:
    identify: ClientIdentity
    ssl_context: ssl.SSLContext | None
    security: MessageSecurity | None
    fingerprints: CachedFingerprints | None
    signer: MessageSigner | None
    refusals: SecurityRefusals

    @property
    def scheme(self) -> str:
        return "https" if self.ssl_context is not None else "http"


def _server_certificates(settings: VtnSettings) -> list[ServerCertificate]:
    pairs = ((settings.http_cert, settings.http_key), (settings.http_ecc_cert, settings.http_ecc_key))
    return [ServerCertificate(cert, key, settings.http_key_passphrase) for cert, key in pairs if cert and key]


def _announce_fingerprint(signer: MessageSigner) -> None:
    """Printed at start, as OpenLEADR does: the operator hands this to every VEN."""
    banner = "*" * 80
    print(
        f"\n{banner}\n{'Your VTN Certificate Fingerprint is ' + signer.fingerprint:^80}\n"
        f"{'Please deliver this fingerprint to the VENs that connect to you.':^80}\n"
        f"{'You do not need to keep this a secret.':^80}\n{banner}\n",
        flush=True,
    )


def _warn_plain_http(settings: VtnSettings) -> None:
    message = (
        f"PLAIN HTTP on {settings.http_host}:{settings.http_port}: no TLS, no client certificates, any VEN can claim "
        "any venID. For local development only; set VTN_HTTP_CERT, VTN_HTTP_KEY and VTN_HTTP_CA_FILE to serve HTTPS."
    )
    log.warning(message, extra={"action": "plain_http_warning"})
    print(f"\n!!! {message}\n", file=sys.stderr, flush=True)


async def _purge_nonces(store: PostgresNonceStore) -> None:
    while True:
        await asyncio.sleep(NONCE_PURGE_SECONDS)
        try:
            await store.purge_expired()
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("could not purge expired nonces", extra={"action": "nonce_purge_failed", "error": repr(exc)})


def _client_identity(settings: VtnSettings) -> ClientIdentity:
    proxies = settings.trusted_proxy_list
    forwarded = None
    if proxies:
        assert settings.http_ca_file is not None  # the settings refuse ingress mode without it
        forwarded = ForwardedCertificates.for_ca_file(
            settings.http_ca_file,
            client_verifying_context(settings.http_ca_file, settings.http_tls_2_0a_suites),
            accept_seconds=settings.forwarded_certificate_cache_seconds,
            max_entries=settings.forwarded_certificate_cache_entries,
        )
    return ClientIdentity(proxies, settings.client_cert_header, forwarded)


async def open_security(
    settings: VtnSettings,
    schema: etree.XMLSchema | None,
    stack: contextlib.AsyncExitStack,
    refusal_log: ThrottledLog | None = None,
    announce: bool = True,
    clients_authenticated: bool = False,
    signer_type: type[MessageSigner] = MessageSigner,
) -> GatewaySecurity:
    """`announce`: log and print the VTN's fingerprint and warn of plain HTTP (the gateway; not the pusher).
    `clients_authenticated`: every client is known by its certificate whatever the HTTP settings (the XMPP
    connector: the XMPP server logged each VEN in with its certificate). `signer_type`: how documents are signed
    (the XMPP connector signs them in the XMPP form, gateway.xmpp.signing)."""
    identify = _client_identity(settings)
    refusals = SecurityRefusals(refusal_log)
    authenticated = clients_authenticated or settings.serves_https or bool(settings.trusted_proxy_list)
    if not authenticated:
        if settings.environment is Environment.PRODUCTION:
            raise ValueError(
                "outside development the gateway serves HTTPS (VTN_HTTP_CERT, ...) or sits behind a trusted proxy"
            )
        if announce:
            _warn_plain_http(settings)
    ssl_context = None
    if settings.serves_https:
        assert settings.http_ca_file is not None
        ssl_context = server_context(
            _server_certificates(settings), settings.http_ca_file, profile_a_suites=settings.http_tls_2_0a_suites
        )
    signer = None
    if settings.cert is not None and settings.key is not None:
        signer = signer_type.from_files(settings.cert, settings.key, settings.passphrase)
        log.info("signing answers", extra={"action": "vtn_fingerprint", "fingerprint": signer.fingerprint})
        if settings.show_fingerprint and announce:
            _announce_fingerprint(signer)
    verifying = settings.verify_message_signatures and (authenticated or settings.require_message_signatures)
    handlers = (load_optional(settings.fingerprint_lookup), load_optional(settings.ven_lookup))
    needs_pool = (authenticated and not any(handlers)) or (
        verifying and settings.replay_nonce_store is NonceStoreName.POSTGRES
    )
    pool: asyncpg.Pool | None = None
    if needs_pool:
        pool = await open_pool(database_access(settings), settings.database_pool_min, settings.database_pool_max)
        stack.push_async_callback(pool.close)
    replay = None
    if verifying:
        store: NonceStore
        if settings.replay_nonce_store is NonceStoreName.POSTGRES:
            assert pool is not None
            postgres_store = PostgresNonceStore(pool)
            purger = asyncio.create_task(_purge_nonces(postgres_store), name="nonce-purge")
            stack.callback(purger.cancel)
            store = postgres_store
        else:
            store = MemoryNonceStore()
        replay = ReplayGuard(store, settings.replay_max_age_seconds)
    fingerprints = None
    if authenticated:
        source: FingerprintSource
        if any(handlers):
            source = HandlerFingerprints(*handlers)
        else:
            assert pool is not None
            source = DirectoryFingerprints(pool)
        fingerprints = CachedFingerprints(source, settings.poll_cache_ttl_seconds)
    security = None
    if authenticated or signer is not None or verifying:
        policy = SecurityPolicy(
            require_client_certificate=authenticated,
            verify_signatures=verifying,
            require_signatures=settings.require_message_signatures,
        )
        security = MessageSecurity(policy, schema, replay, fingerprints, signer, refusals)
    return GatewaySecurity(identify, ssl_context, security, fingerprints, signer, refusals)
