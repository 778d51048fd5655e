"""The asyncpg pool, opened with retries so a service may start before PostgreSQL does.

Every pool of every process is opened here, with the process's `DatabaseAccess` (URL and TLS,
shared.db.access). A server that cannot be reached yet is waited for; one that is reached but refuses the
TLS the settings ask for (a certificate the CA does not vouch for, or that names another host, or no TLS at
all) raises Misconfigured at once, naming the setting: waiting would not change it.

A connection goes back to the pool without asyncpg's default reset query (advisory unlock all, CLOSE ALL,
UNLISTEN, RESET ALL): that is one more round trip per checkout, a seventh of registration_svc's CPU under
load. asyncpg still rolls back an open transaction on release. The rule that makes this safe: code that
takes session state on a pooled connection (a session advisory lock) releases it itself, and terminates
the connection if it cannot (report_svc.ven_reports.publishing.relay).
"""

from __future__ import annotations

import asyncio
import logging

import asyncpg

from shared.client_tls import TlsRefusal, tls_refusal
from shared.db.access import CA_SETTING, DatabaseAccess
from shared.misconfigured import Misconfigured

log = logging.getLogger(__name__)

_NO_TLS = "rejected SSL upgrade"  # asyncpg's words for a server that answered the TLS request with "no"


async def _keep_session(connection: asyncpg.Connection) -> None:
    """Release hook: nothing beyond asyncpg's own rollback of an open transaction (see the module doc)."""


def tls_misconfiguration(access: DatabaseAccess, error: BaseException) -> Misconfigured | None:
    """The setting that explains why the server refused the TLS asked for, or None when waiting may help."""
    refusal = tls_refusal(error)
    if refusal is not None:
        kind, reason = refusal
        if kind is TlsRefusal.OTHER_HOST:
            return Misconfigured(
                "VTN_DATABASE_URL", f"the PostgreSQL server's certificate does not name the host dialled: {reason}"
            )
        if kind is TlsRefusal.UNTRUSTED_CERTIFICATE:
            trusted = f"the CA file {access.ca_file}" if access.ca_file is not None else "none of the system's CAs"
            return Misconfigured(
                CA_SETTING, f"the PostgreSQL server presents a certificate {trusted} vouches for: {reason}"
            )
        return Misconfigured("VTN_DATABASE_SSLMODE", f"TLS with the PostgreSQL server failed: {reason}")
    if isinstance(error, ConnectionError) and _NO_TLS in str(error):
        mode = access.sslmode.value if access.sslmode is not None else "the URL's sslmode"
        return Misconfigured("VTN_DATABASE_SSLMODE", f"{error}: the server does not offer the TLS that {mode} requires")
    return None


async def open_pool(access: DatabaseAccess, min_size: int, max_size: int, wait_seconds: float = 60.0) -> asyncpg.Pool:
    deadline = asyncio.get_running_loop().time() + wait_seconds
    while True:
        try:
            return await asyncpg.create_pool(
                access.url,
                ssl=access.ssl,
                min_size=min_size,
                max_size=max_size,
                command_timeout=30,
                reset=_keep_session,
            )
        except (OSError, asyncpg.CannotConnectNowError, asyncpg.PostgresConnectionError) as exc:
            refusal = tls_misconfiguration(access, exc)
            if refusal is not None:
                raise refusal from None
            if asyncio.get_running_loop().time() > deadline:
                raise
            log.warning("database not reachable yet", extra={"action": "db_wait", "error": repr(exc)})
            await asyncio.sleep(1)
