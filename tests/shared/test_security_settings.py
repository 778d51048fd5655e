"""Security settings: HTTPS comes with client certificates, keys with certificates; the fingerprint is OpenLEADR's."""

from __future__ import annotations

from pathlib import Path

import pytest
from openleadr.utils import certificate_fingerprint
from pydantic import ValidationError

from shared.fingerprints import fingerprint_of_pem
from shared.settings import VtnSettings


def test_plain_http_is_the_default() -> None:
    settings = VtnSettings()
    assert not settings.serves_https
    assert (settings.verify_message_signatures, settings.require_message_signatures) == (True, False)
    assert settings.trusted_proxies == ""


@pytest.mark.parametrize(
    "values",
    [
        {"http_cert": Path("a.crt")},
        {"http_cert": Path("a.crt"), "http_key": Path("a.key")},
        {"cert": Path("a.crt")},
        {"verify_message_signatures": False, "require_message_signatures": True},
        {"trusted_proxies": "10.0.0.0/8"},
    ],
    ids=[
        "certificate without key",
        "HTTPS without a client CA",
        "signing certificate without key",
        "require without verify",
        "ingress mode without a client CA",
    ],
)
def test_incomplete_security_settings_are_refused(values: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        VtnSettings(**values)  # type: ignore[arg-type]


def test_fingerprint_is_the_one_openleadr_prints(tmp_path: Path) -> None:
    from devstack.certs import make_ca

    issued, _, _ = make_ca(tmp_path / "ca", "test")
    pem = issued.cert_path.read_text()
    assert fingerprint_of_pem(pem) == certificate_fingerprint(pem) == issued.fingerprint
