"""HTTPS for the VEN door: the server's TLS context, and the client certificate handed to the app.

OpenADR 2.0b requires TLS 1.2 with exactly two suites, TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256 (for an ECC
server certificate) and TLS_RSA_WITH_AES_128_CBC_SHA256 (for an RSA one). Python's default cipher string
lacks the second, so the list is set explicitly; TLS 1.3 keeps OpenSSL's suites. The 2.0a profile names their
SHA-1 MAC counterparts (..._CBC_SHA); with `profile_a_suites` they are offered too, after the 2.0b ones. TLS
below 1.2, which the 2.0a text also allows, is never offered (RFC 8996; OpenSSL 3 refuses it at its default
security level): a 2.0a VEN limited to it needs a TLS-terminating proxy (VTN_TRUSTED_PROXIES). An RSA and an ECC
certificate can be loaded side by side: OpenSSL keeps one per key type and picks by what the client offers.
A client certificate chained to the configured CA is required: without one the handshake fails.

uvicorn does not give the app the peer certificate, so the door's protocol (gateway.connections, which also
runs the handshake itself) reads it once per connection with `tls_extension` and puts it in every request's
scope as the ASGI `tls` extension (https://asgi.readthedocs.io/en/latest/specs/tls.html).
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

OPENADR_TLS12_CIPHERS = "ECDHE-ECDSA-AES128-SHA256:AES128-SHA256"
# The 2.0a profile's suites (TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, TLS_RSA_WITH_AES_128_CBC_SHA), offered after
# the 2.0b ones when VTN_HTTP_TLS_2_0A_SUITES is on: a 2.0b VEN still gets a SHA-256 suite (the server's order).
OPENADR_2_0A_TLS12_CIPHERS = "ECDHE-ECDSA-AES128-SHA:AES128-SHA"

# IANA numbers of the suites this server can negotiate, for the ASGI extension's `cipher_suite`.
_CIPHER_SUITE_IDS = {
    "ECDHE-ECDSA-AES128-SHA256": 0xC023,
    "AES128-SHA256": 0x003C,
    "ECDHE-ECDSA-AES128-SHA": 0xC009,
    "AES128-SHA": 0x002F,
    "TLS_AES_128_GCM_SHA256": 0x1301,
    "TLS_AES_256_GCM_SHA384": 0x1302,
    "TLS_CHACHA20_POLY1305_SHA256": 0x1303,
}
_TLS_VERSIONS = {"TLSv1.2": 0x0303, "TLSv1.3": 0x0304}


@dataclass(frozen=True)
class ServerCertificate:
    cert_path: Path
    key_path: Path
    passphrase: str | None = None


def openadr_ciphers(profile_a_suites: bool) -> str:
    """The TLS 1.2 suites the VTN offers, as servers and as the pusher's client: 2.0b's, then 2.0a's if asked."""
    return f"{OPENADR_TLS12_CIPHERS}:{OPENADR_2_0A_TLS12_CIPHERS}" if profile_a_suites else OPENADR_TLS12_CIPHERS


def client_verifying_context(client_ca_file: Path, profile_a_suites: bool = False) -> ssl.SSLContext:
    """TLS 1.2/1.3 server context with the OpenADR suites (2.0b's; 2.0a's after them with `profile_a_suites`)
    that requires client certificates of the CA file.

    The forwarded certificates of ingress mode are verified with this context's settings
    (gateway.security.forwarded_certificates), so that they pass exactly when a handshake would."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.maximum_version = ssl.TLSVersion.TLSv1_3
    context.set_ciphers(openadr_ciphers(profile_a_suites))
    context.options |= ssl.OP_NO_COMPRESSION | ssl.OP_CIPHER_SERVER_PREFERENCE | ssl.OP_NO_RENEGOTIATION
    context.load_verify_locations(cafile=client_ca_file)
    context.verify_mode = ssl.CERT_REQUIRED
    return context


def server_context(
    certificates: list[ServerCertificate], client_ca_file: Path, profile_a_suites: bool = False
) -> ssl.SSLContext:
    """The client-verifying context with the given server certificates loaded."""
    if not certificates:
        raise ValueError("HTTPS needs at least one server certificate")
    context = client_verifying_context(client_ca_file, profile_a_suites)
    for certificate in certificates:
        context.load_cert_chain(certificate.cert_path, certificate.key_path, certificate.passphrase)
    return context


def client_context(
    certificate: ServerCertificate | None,
    ca_file: Path,
    *,
    verify_hostname: bool = False,
    profile_a_suites: bool = False,
) -> ssl.SSLContext:
    """TLS 1.2/1.3 client context for pushing to VENs: the OpenADR suites, the VTN's own certificate (a VEN
    requires one, as the VTN does of VENs), and the VEN's server certificate verified against `ca_file`.
    Host names are not checked by default: a VEN is known by its certificate's fingerprint, bound to its
    venID at registration (the pusher checks that binding on every connection), not by a DNS name."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.maximum_version = ssl.TLSVersion.TLSv1_3
    context.set_ciphers(openadr_ciphers(profile_a_suites))
    context.options |= ssl.OP_NO_COMPRESSION | ssl.OP_NO_RENEGOTIATION
    context.check_hostname = verify_hostname
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(cafile=ca_file)
    if certificate is not None:
        context.load_cert_chain(certificate.cert_path, certificate.key_path, certificate.passphrase)
    return context


def tls_extension(transport: asyncio.BaseTransport) -> dict[str, Any] | None:
    """The ASGI `tls` extension for a connection, or None when it is not TLS."""
    ssl_object: ssl.SSLObject | None = transport.get_extra_info("ssl_object")
    if ssl_object is None:
        return None
    der = ssl_object.getpeercert(binary_form=True)
    cipher = ssl_object.cipher()
    version = ssl_object.version()
    return {
        "server_cert": None,
        "client_cert_chain": [ssl.DER_cert_to_PEM_cert(der)] if der else [],
        "client_cert_name": None,
        "client_cert_error": None if der else "no client certificate",
        "tls_version": _TLS_VERSIONS.get(version or ""),
        "cipher_suite": _CIPHER_SUITE_IDS.get(cipher[0]) if cipher else None,
    }
