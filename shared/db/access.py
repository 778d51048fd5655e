"""Where PostgreSQL is and how every connection of the process reaches it: the URL and its TLS.

Built once from settings (`database_access`) and handed to shared.db.pool, where every pool is opened.
With VTN_DATABASE_SSLMODE (verify-full by default once VTN_DATABASE_SSL_CA_FILE is set) the modes keep
libpq's meaning:

    disable, allow, prefer   passed to asyncpg as they are (prefer, asyncpg's default, verifies nothing)
    require                  TLS or no connection; the certificate is not checked, unless a CA file is
                             given, which makes it verify-ca (as libpq does)
    verify-ca                the certificate must chain to VTN_DATABASE_SSL_CA_FILE
    verify-full              that, and it must name the host of VTN_DATABASE_URL; the system's CAs when no
                             CA file is given

Without any of these settings, TLS is whatever VTN_DATABASE_URL says (its sslmode, sslrootcert, ...).
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from shared.client_tls import present_certificate, verifying_context
from shared.settings import DatabaseSslMode, VtnSettings

CA_SETTING = "VTN_DATABASE_SSL_CA_FILE"
AsyncpgMode = Literal["disable", "allow", "prefer"]
# The modes that do not require TLS, handed to asyncpg as they are
_NOT_REQUIRING: dict[DatabaseSslMode, AsyncpgMode] = {
    DatabaseSslMode.DISABLE: "disable",
    DatabaseSslMode.ALLOW: "allow",
    DatabaseSslMode.PREFER: "prefer",
}


@dataclass(frozen=True)
class DatabaseAccess:
    url: str
    ssl: ssl.SSLContext | AsyncpgMode | None = None  # asyncpg's `ssl` argument; None: as the URL says
    sslmode: DatabaseSslMode | None = None
    ca_file: Path | None = None  # for messages: None = the system's CAs


def database_access(settings: VtnSettings) -> DatabaseAccess:
    """The access every pool of this process uses (refuses unreadable TLS files: Misconfigured)."""
    mode = settings.effective_database_sslmode
    tls: ssl.SSLContext | AsyncpgMode | None = None
    if mode is not None:
        tls = _tls_context(settings, mode) if mode.requires_tls else _NOT_REQUIRING[mode]
    return DatabaseAccess(settings.database_url, tls, mode, settings.database_ssl_ca_file)


def _tls_context(settings: VtnSettings, mode: DatabaseSslMode) -> ssl.SSLContext:
    ca_file = settings.database_ssl_ca_file
    if mode is DatabaseSslMode.REQUIRE and ca_file is None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        context.minimum_version = ssl.TLSVersion.TLSv1_2
    else:
        context = verifying_context(ca_file, CA_SETTING)
        context.check_hostname = mode is DatabaseSslMode.VERIFY_FULL
    if settings.database_ssl_cert_file is not None and settings.database_ssl_key_file is not None:
        present_certificate(
            context,
            settings.database_ssl_cert_file,
            settings.database_ssl_key_file,
            None,
            "VTN_DATABASE_SSL_CERT_FILE / VTN_DATABASE_SSL_KEY_FILE",
        )
    return context
