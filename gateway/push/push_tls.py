"""The TLS client context the pusher uses for https:// transport addresses, from settings.

The VTN presents VTN_PUSH_CLIENT_CERT (default: its HTTPS server certificate VTN_HTTP_CERT) and verifies
the VEN's server certificate against VTN_PUSH_CA_FILE (default VTN_HTTP_CA_FILE, the CA of VEN certificates).
When the VTN is secured (HTTPS, or a trusted TLS proxy) every push is HTTPS, so both are required.
"""

from __future__ import annotations

import ssl

from gateway.security.tls import ServerCertificate, client_context
from shared.settings import VtnSettings


def push_client_context(settings: VtnSettings) -> ssl.SSLContext | None:
    """None when no CA is configured (plain-HTTP development): https:// addresses then fail as TLS errors."""
    if settings.push_client_cert is not None and settings.push_client_key is not None:
        certificate: ServerCertificate | None = ServerCertificate(settings.push_client_cert, settings.push_client_key)
    elif settings.http_cert is not None and settings.http_key is not None:
        certificate = ServerCertificate(settings.http_cert, settings.http_key, settings.http_key_passphrase)
    else:
        certificate = None
    ca_file = settings.push_ca_file or settings.http_ca_file
    secured = settings.serves_https or bool(settings.trusted_proxies.strip())
    if secured and (certificate is None or ca_file is None):
        raise ValueError(
            "pushing over HTTPS needs the VTN's client certificate (VTN_PUSH_CLIENT_CERT and VTN_PUSH_CLIENT_KEY, or "
            "VTN_HTTP_CERT and VTN_HTTP_KEY) and the CA of VEN certificates (VTN_PUSH_CA_FILE or VTN_HTTP_CA_FILE)"
        )
    if ca_file is None:
        return None
    return client_context(certificate, ca_file, profile_a_suites=settings.http_tls_2_0a_suites)
