from __future__ import annotations

import pytest

from bench.loadgen.config import LoadConfig, Mode, UnsafeTargetError, VtnAddress


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


def test_https_is_not_supported() -> None:
    with pytest.raises(ValueError):
        VtnAddress.parse("https://127.0.0.1/x")


def test_config_validation() -> None:
    with pytest.raises(ValueError):
        LoadConfig(url="http://127.0.0.1:1/x", vens=2, mode=Mode.CLOSED, duration=1, processes=3)
    with pytest.raises(UnsafeTargetError):
        LoadConfig(url="http://192.0.2.1/x", vens=1, mode=Mode.OPEN, duration=1)
