"""The client certificate an ingress forwards, verified as the gateway's own TLS handshake would verify it.

Behind an ingress that terminates TLS (ingress-nginx's `ssl-client-cert`, URL-encoded PEM), the header is
taken only from a trusted proxy (gateway.security.identity) and then verified here: the leaf (and any intermediates
that follow it in the header) must chain to a CA of VTN_HTTP_CA_FILE, be valid now, be fit for TLS client
authentication and use keys and signatures the handshake accepts (gateway.security.chain_verifier). A trusted
address alone is not enough: anyone who reaches the gateway from there and holds some VEN's public
certificate would otherwise speak as that VEN.

Verdicts are cached per header value (keyed by its SHA-256), so a poll costs a hash and a dict look-up:
an acceptance for `accept_seconds`, never past the earliest expiry of the leaf, the header's intermediates
or the CA file's certificates; a refusal for `refuse_seconds` (a flood of one bad certificate costs one
verification). The two caches are bounded separately, oldest out first, so refusals never evict VENs.
"""

from __future__ import annotations

import hashlib
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from cryptography import x509

from gateway.security.chain_verifier import ChainRefused, ChainVerifier
from shared.fingerprints import fingerprint_of_der

PEM_BLOCK_END = "-----END CERTIFICATE-----"
MAX_CHAIN_LENGTH = 8


class CertificateRefused(Exception):
    """The forwarded certificate is not one the TLS handshake would accept; `reason` is bounded."""

    def __init__(self, reason: str, description: str) -> None:
        super().__init__(description)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class _Verdict:
    expires: float  # monotonic
    fingerprint: str | None = None
    refused: ChainRefused | None = None  # a new exception is raised each time: a raised one grows its traceback


class _BoundedVerdicts:
    """A dict of verdicts that drops its oldest entry when full and expired ones when read."""

    def __init__(self, max_entries: int) -> None:
        self._max_entries = max_entries
        self._entries: dict[bytes, _Verdict] = {}

    def get(self, key: bytes, now: float) -> _Verdict | None:
        verdict = self._entries.get(key)
        if verdict is not None and verdict.expires <= now:
            del self._entries[key]
            return None
        return verdict

    def put(self, key: bytes, verdict: _Verdict) -> None:
        if key not in self._entries and len(self._entries) >= self._max_entries:
            del self._entries[next(iter(self._entries))]
        self._entries[key] = verdict

    def __len__(self) -> int:
        return len(self._entries)


def pem_chain(header_value: bytes) -> list[bytes]:
    """The DER certificates of a URL-encoded PEM header value, leaf first (empty when it holds none)."""
    text = unquote(header_value.decode("latin-1"))
    blocks = [block + PEM_BLOCK_END for block in text.split(PEM_BLOCK_END) if "-----BEGIN CERTIFICATE-----" in block]
    chain = []
    for block in blocks[:MAX_CHAIN_LENGTH]:
        try:
            chain.append(ssl.PEM_cert_to_DER_cert(block[block.index("-----BEGIN CERTIFICATE-----") :] + "\n"))
        except ValueError:
            return []
    return chain


def _not_after(der: bytes) -> float:
    return x509.load_der_x509_certificate(der).not_valid_after_utc.timestamp()


def ca_file_expiry(ca_file: Path) -> float:
    """The earliest future expiry (epoch seconds) of the CA file's certificates: a cached verdict never outlives it."""
    now = time.time()
    endings = [c.not_valid_after_utc.timestamp() for c in x509.load_pem_x509_certificates(ca_file.read_bytes())]
    return min((end for end in endings if end > now), default=now)


class ForwardedCertificates:
    """Forwarded header value -> fingerprint of a certificate the handshake would accept, or CertificateRefused."""

    def __init__(
        self,
        verifier: ChainVerifier,
        ca_expiry: float,
        *,
        accept_seconds: float = 300.0,
        refuse_seconds: float = 10.0,
        max_entries: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._verifier = verifier
        self._ca_expiry = ca_expiry
        self._accept_seconds = accept_seconds
        self._refuse_seconds = refuse_seconds
        self._accepted = _BoundedVerdicts(max_entries)
        self._refused = _BoundedVerdicts(max(1, max_entries // 10))
        self._clock = clock
        self._wall_clock = wall_clock
        self.verifications = 0

    @classmethod
    def for_ca_file(
        cls, ca_file: Path, context: ssl.SSLContext, *, accept_seconds: float, max_entries: int
    ) -> ForwardedCertificates:
        """Verification as `context` (a TLS server context that trusts `ca_file`) performs it in a handshake."""
        return cls(
            ChainVerifier.like(context, ca_file),
            ca_file_expiry(ca_file),
            accept_seconds=accept_seconds,
            max_entries=max_entries,
        )

    def fingerprint(self, header_value: bytes) -> str:
        key = hashlib.sha256(header_value).digest()
        now = self._clock()
        verdict = self._accepted.get(key, now) or self._refused.get(key, now)
        if verdict is None:
            verdict = self._verify(header_value, now)
            (self._accepted if verdict.refused is None else self._refused).put(key, verdict)
        if verdict.refused is not None:
            raise CertificateRefused(
                f"forwarded_certificate_{verdict.refused.reason}",
                f"the forwarded client certificate is refused: {verdict.refused.detail}",
            )
        assert verdict.fingerprint is not None
        return verdict.fingerprint

    def _verify(self, header_value: bytes, now: float) -> _Verdict:
        self.verifications += 1
        refuse_until = now + self._refuse_seconds
        chain = pem_chain(header_value)
        if not chain:
            return _Verdict(refuse_until, refused=ChainRefused("unreadable", "the header holds no PEM certificate"))
        refusal = self._verifier.verify(chain[0], chain[1:])
        if refusal is not None:
            return _Verdict(refuse_until, refused=refusal)
        try:
            ends = min([self._ca_expiry, *map(_not_after, chain)])
        except ValueError:  # OpenSSL accepted what cryptography cannot read: trust neither for long
            ends = self._wall_clock()
        lifetime = max(0.0, min(self._accept_seconds, ends - self._wall_clock()))
        return _Verdict(now + lifetime, fingerprint=fingerprint_of_der(chain[0]))

    def __len__(self) -> int:
        return len(self._accepted)
