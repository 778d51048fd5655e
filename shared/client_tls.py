"""The TLS contexts the VTN's clients use towards Kafka and PostgreSQL: the server's certificate is verified
and must name the host dialled, TLS 1.2 at least, and a client certificate is presented when configured.

A file that cannot be read, or a certificate and key that do not belong together, raise Misconfigured naming
the settings to fix: the process stops at start rather than failing every connection later. `tls_refusal`
tells a handshake the settings doomed (an untrusted certificate, one for another host) from a peer that went
away, for the start-up checks of both.
"""

from __future__ import annotations

import ssl
from enum import Enum
from pathlib import Path

from shared.misconfigured import Misconfigured


def verifying_context(ca_file: Path | None, ca_setting: str) -> ssl.SSLContext:
    """Verifies the server's certificate chain against `ca_file` (the system's CAs when None) and that the
    certificate names the host dialled."""
    try:
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(ca_file) if ca_file else None)
    except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
        raise Misconfigured(ca_setting, f"cannot load the CA file {ca_file}: {_reason(exc)}") from None
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def present_certificate(
    context: ssl.SSLContext, cert_file: Path, key_file: Path, password: str | None, settings: str
) -> None:
    """Make `context` present this client certificate (PEM, chain allowed) and key (PEM, encrypted or not)."""
    try:
        context.load_cert_chain(str(cert_file), str(key_file), password=password)
    except OSError as exc:
        raise Misconfigured(
            settings, f"cannot load the client certificate {cert_file} with key {key_file}: {_reason(exc)}"
        ) from None


def _reason(exc: OSError | ValueError) -> str:
    return (exc.strerror if isinstance(exc, OSError) else None) or str(exc)


class TlsRefusal(Enum):
    """Why a TLS handshake failed in a way that retrying cannot mend."""

    UNTRUSTED_CERTIFICATE = "the server's certificate does not chain to a trusted CA"
    OTHER_HOST = "the server's certificate names another host than the one dialled"
    HANDSHAKE_FAILED = "the handshake failed (e.g. the server does not speak TLS there)"


_HOST_MISMATCH = {62, 64}  # X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH
_CLOSED = (ssl.SSLEOFError, ssl.SSLZeroReturnError)  # the peer went away: may be a restart


def tls_refusal(error: BaseException) -> tuple[TlsRefusal, str] | None:
    """What a connection error says about the TLS settings (with the library's reason), or None if nothing."""
    if isinstance(error, ssl.SSLCertVerificationError):
        kind = TlsRefusal.OTHER_HOST if error.verify_code in _HOST_MISMATCH else TlsRefusal.UNTRUSTED_CERTIFICATE
        return kind, error.verify_message or str(error)
    if isinstance(error, ssl.SSLError) and not isinstance(error, _CLOSED):
        return TlsRefusal.HANDSHAKE_FAILED, error.reason or str(error)
    return None
