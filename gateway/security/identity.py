"""What the gateway knows about the sender of a request: its address and its certificate's fingerprint.

With HTTPS the client certificate comes from the ASGI `tls` extension (see gateway/security/tls.py). Behind a
Kubernetes ingress that terminates TLS, the certificate can come from a header the ingress sets (URL-encoded
PEM, as ingress-nginx's `ssl-client-cert`), but only from a configured trusted proxy: the same header from
any other peer is refused, never silently ignored. A forwarded certificate is then verified as the TLS
handshake would verify it (gateway.security.forwarded_certificates). With plain HTTP there is no fingerprint
(development). Every refusal carries a bounded `reason` for the refusal counter.
"""

from __future__ import annotations

import ipaddress
from collections.abc import MutableMapping, Sequence
from functools import lru_cache
from typing import Any

from gateway.security.forwarded_certificates import CertificateRefused, ForwardedCertificates
from shared.contract.ven_traffic import RequestContext
from shared.fingerprints import fingerprint_of_pem


class IdentityRefused(Exception):
    """The request claims a certificate in a way this gateway does not accept; `reason` is bounded."""

    def __init__(self, reason: str, description: str) -> None:
        super().__init__(description)
        self.reason = reason


@lru_cache(maxsize=65536)
def _fingerprint(pem: str) -> str:
    return fingerprint_of_pem(pem)


def client_certificate(scope: MutableMapping[str, Any]) -> str | None:
    """The PEM client certificate of a request served over TLS by this gateway."""
    tls = (scope.get("extensions") or {}).get("tls")
    if not tls:
        return None
    chain = tls.get("client_cert_chain") or []
    return str(chain[0]) if chain else None


def _remote_addr(scope: MutableMapping[str, Any]) -> str | None:
    client = scope.get("client")
    return f"{client[0]}:{client[1]}" if client else None


def request_context(scope: MutableMapping[str, Any]) -> RequestContext:
    """The context of a request, trusting only the TLS connection itself (no proxy headers)."""
    certificate = client_certificate(scope)
    return RequestContext(
        remote_addr=_remote_addr(scope), fingerprint=_fingerprint(certificate) if certificate else None, signed=False
    )


class ClientIdentity:
    """Finds the sender's certificate: the TLS connection's, or a trusted proxy's header, verified."""

    def __init__(
        self,
        trusted_proxies: Sequence[str] = (),
        certificate_header: str = "ssl-client-cert",
        forwarded: ForwardedCertificates | None = None,
    ) -> None:
        self._trusted = [ipaddress.ip_network(p.strip(), strict=False) for p in trusted_proxies if p.strip()]
        if self._trusted and forwarded is None:
            raise ValueError("certificates forwarded by a trusted proxy need a verifier (the CA of VEN certificates)")
        self._header = certificate_header.lower().encode()
        self._forwarded = forwarded

    def __call__(self, scope: MutableMapping[str, Any]) -> RequestContext:
        own = client_certificate(scope)
        forwarded = next((value for name, value in scope.get("headers", ()) if name == self._header), None)
        if forwarded is None:
            try:
                fingerprint = _fingerprint(own) if own else None
            except ValueError:
                raise IdentityRefused(
                    "client_certificate_unreadable", "the client certificate cannot be read"
                ) from None
        elif own is not None or not self._from_trusted_proxy(scope):
            raise IdentityRefused(
                "certificate_header_untrusted_peer",
                f"the {self._header.decode()} header is only accepted from a trusted proxy",
            )
        else:
            assert self._forwarded is not None
            try:
                fingerprint = self._forwarded.fingerprint(forwarded)
            except CertificateRefused as exc:
                raise IdentityRefused(exc.reason, str(exc)) from None
        return RequestContext(remote_addr=_remote_addr(scope), fingerprint=fingerprint, signed=False)

    def _from_trusted_proxy(self, scope: MutableMapping[str, Any]) -> bool:
        client = scope.get("client")
        if not client or not self._trusted:
            return False
        try:
            address = ipaddress.ip_address(client[0])
        except ValueError:
            return False
        return any(address in network for network in self._trusted)
