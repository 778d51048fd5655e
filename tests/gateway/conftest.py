"""Development certificates for the gateway's security tests, made once per session."""

from __future__ import annotations

import pytest

from devstack.certs import Issued, generate


@pytest.fixture(scope="session")
def dev_certs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Issued]:
    return generate(tmp_path_factory.mktemp("certs"), ["ven1", "ven2"])
