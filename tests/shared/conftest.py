"""Fixtures of the shared package's tests: the devstack's throwaway TLS material, written once per session."""

from __future__ import annotations

import pytest

from devstack.stack_tls import StackTls, generate


@pytest.fixture(scope="session")
def tls_material(tmp_path_factory: pytest.TempPathFactory) -> StackTls:
    """A CA, another CA, a server certificate for 127.0.0.1 and localhost (kafka.crt), one for localhost only
    (postgres.crt), and a client certificate from each CA (client, stranger)."""
    return generate(tmp_path_factory.mktemp("tls"))
