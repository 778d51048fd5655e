from __future__ import annotations

import pytest

from bench.loadgen.config import ClientCertificate, LoadConfig, Mode, SecureVens, UnsafeTargetError, VtnAddress


def test_address_parts() -> None:
    address = VtnAddress.parse("http://127.0.0.1:8080/OpenADR2/Simple/2.0b/")
    assert address.service_path("OadrPoll") == "/OpenADR2/Simple/2.0b/OadrPoll"
    assert address.host_header == "127.0.0.1:8080"


@pytest.mark.parametrize("url", ["http://10.0.0.1:8080/x", "http://example.com/x", "http://[2001:db8::1]/x"])
def test_non_loopback_targets_are_refused(url: str) -> None:
    with pytest.raises(UnsafeTargetError):
        VtnAddress.parse(url)


def test_non_loopback_can_be_allowed_explicitly() -> None:
    assert VtnAddress.parse("http://10.0.0.1:8080/x", allow_non_loopback=True).host == "10.0.0.1"


def test_https_addresses() -> None:
    address = VtnAddress.parse("https://127.0.0.1/x")
    assert (address.secure, address.port, address.host_header) == (True, 443, "127.0.0.1")
    with pytest.raises(ValueError):
        VtnAddress.parse("ftp://127.0.0.1/x")


def test_https_needs_one_client_certificate_per_ven_and_only_https_takes_them() -> None:
    one = SecureVens(ca_file="ca.crt", certificates=(ClientCertificate("a.crt", "a.key"),))
    LoadConfig(url="https://127.0.0.1:1/x", vens=1, mode=Mode.CLOSED, duration=1, secure=one)
    with pytest.raises(ValueError, match="2 VENs need 2 client certificates"):
        LoadConfig(url="https://127.0.0.1:1/x", vens=2, mode=Mode.CLOSED, duration=1, secure=one)
    with pytest.raises(ValueError, match="https"):
        LoadConfig(url="https://127.0.0.1:1/x", vens=1, mode=Mode.CLOSED, duration=1)
    with pytest.raises(ValueError, match="https"):
        LoadConfig(url="http://127.0.0.1:1/x", vens=1, mode=Mode.CLOSED, duration=1, secure=one)


def test_config_validation() -> None:
    with pytest.raises(ValueError):
        LoadConfig(url="http://127.0.0.1:1/x", vens=2, mode=Mode.CLOSED, duration=1, processes=3)
    with pytest.raises(UnsafeTargetError):
        LoadConfig(url="http://192.0.2.1/x", vens=1, mode=Mode.OPEN, duration=1)
