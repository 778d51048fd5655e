"""PostgreSQL's TLS comes from settings with libpq's sslmode meanings, and a server that refuses the TLS asked
for stops the process at once naming the setting, instead of being waited for like one that is down."""

from __future__ import annotations

import ssl
import time
from typing import Any

import pytest

from devstack.stack_tls import StackTls
from shared.db.access import DatabaseAccess, database_access
from shared.db.pool import open_pool
from shared.misconfigured import Misconfigured
from shared.settings import VtnSettings
from tests.tls_servers import postgres_answering, server_context, serving


def access(**values: Any) -> DatabaseAccess:
    return database_access(VtnSettings(**values))


def test_without_settings_tls_is_left_to_the_url() -> None:
    assert access().ssl is None


@pytest.mark.parametrize("mode", ["disable", "allow", "prefer"])
def test_modes_that_do_not_require_tls_are_handed_to_asyncpg_as_they_are(mode: str) -> None:
    assert access(database_sslmode=mode).ssl == mode


def test_require_encrypts_without_checking_the_certificate() -> None:
    context = access(database_sslmode="require").ssl
    assert isinstance(context, ssl.SSLContext)
    assert (context.verify_mode, context.check_hostname) == (ssl.CERT_NONE, False)


def test_require_with_a_ca_file_checks_the_chain_as_libpq_does(tls_material: StackTls) -> None:
    context = access(database_sslmode="require", database_ssl_ca_file=tls_material.ca).ssl
    assert isinstance(context, ssl.SSLContext)
    assert (context.verify_mode, context.check_hostname) == (ssl.CERT_REQUIRED, False)


def test_verify_ca_checks_the_chain_and_verify_full_the_host_name_too(tls_material: StackTls) -> None:
    verify_ca = access(database_sslmode="verify-ca", database_ssl_ca_file=tls_material.ca).ssl
    verify_full = access(database_ssl_ca_file=tls_material.ca).ssl  # the default once a CA file is given
    assert isinstance(verify_ca, ssl.SSLContext) and isinstance(verify_full, ssl.SSLContext)
    assert (verify_ca.verify_mode, verify_ca.check_hostname) == (ssl.CERT_REQUIRED, False)
    assert (verify_full.verify_mode, verify_full.check_hostname) == (ssl.CERT_REQUIRED, True)
    assert verify_full.cert_store_stats()["x509_ca"] == 1


def test_a_client_certificate_is_presented_when_configured(tls_material: StackTls) -> None:
    with pytest.raises(Misconfigured) as refused:
        access(database_ssl_ca_file=tls_material.ca, database_ssl_cert_file=tls_material.client_cert,
               database_ssl_key_file=tls_material.stranger_key)  # fmt: skip
    assert "VTN_DATABASE_SSL_CERT_FILE" in refused.value.setting
    assert access(database_ssl_ca_file=tls_material.ca, database_ssl_cert_file=tls_material.client_cert,
                  database_ssl_key_file=tls_material.client_key).ssl is not None  # fmt: skip


async def refusal_of(database: DatabaseAccess) -> Misconfigured:
    started = time.monotonic()
    with pytest.raises(Misconfigured) as refused:
        await open_pool(database, 1, 1, wait_seconds=30)
    assert time.monotonic() - started < 10, "a refusal must not be waited for like an outage"
    return refused.value


async def test_a_server_certificate_from_another_ca_names_the_ca_file(tls_material: StackTls) -> None:
    tls = server_context(tls_material.kafka_cert, tls_material.kafka_key)
    async with serving(postgres_answering(b"S", tls)) as port:
        refusal = await refusal_of(
            access(database_url=f"postgresql://vtn@127.0.0.1:{port}/vtn", database_ssl_ca_file=tls_material.other_ca)
        )
    assert refusal.setting == "VTN_DATABASE_SSL_CA_FILE"


async def test_a_server_certificate_for_another_host_names_the_url(tls_material: StackTls) -> None:
    tls = server_context(tls_material.postgres_cert, tls_material.postgres_key)  # names localhost only
    async with serving(postgres_answering(b"S", tls)) as port:
        refusal = await refusal_of(
            access(database_url=f"postgresql://vtn@127.0.0.1:{port}/vtn", database_ssl_ca_file=tls_material.ca)
        )
    assert refusal.setting == "VTN_DATABASE_URL"
    assert "127.0.0.1" in str(refusal)


async def test_a_server_without_tls_names_the_sslmode() -> None:
    async with serving(postgres_answering(b"N")) as port:
        refusal = await refusal_of(
            access(database_url=f"postgresql://vtn@127.0.0.1:{port}/vtn", database_sslmode="require")
        )
    assert refusal.setting == "VTN_DATABASE_SSLMODE"
