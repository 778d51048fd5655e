"""A registration in the push model (oadrHttpPullModel false): refused without an address the VTN may push to,
and answered without oadrRequestedOadrPollFreq, which the 2.0b schema reserves for the pull model."""

from __future__ import annotations

from datetime import timedelta

from registration_svc.policy import AcceptAll
from registration_svc.ven_requests import RegistrationConfig, push_refusal
from shared.oadr.registration import CreatePartyRegistration
from shared.push_addresses import PushAddressPolicy, parse_allowlist

ADDRESSES = PushAddressPolicy(parse_allowlist("127.0.0.0/8"), require_tls=False, own_ports=frozenset({8081}))


def registering(address: str | None, pull: bool | None) -> CreatePartyRegistration:
    return CreatePartyRegistration(request_id="r", ven_name="v", transport_address=address, http_pull_model=pull)


def test_a_pull_registration_needs_no_address() -> None:
    assert push_refusal(registering(None, True), ADDRESSES) is None
    assert push_refusal(registering(None, None), ADDRESSES) is None  # absent: the pull model


def test_a_push_registration_needs_an_address_the_vtn_may_reach() -> None:
    assert push_refusal(registering("http://127.0.0.1:9000/ven", False), ADDRESSES) is None
    assert "must give" in (push_refusal(registering(None, False), ADDRESSES) or "")
    assert "own ports" in (push_refusal(registering("http://127.0.0.1:8081", False), ADDRESSES) or "")
    assert push_refusal(registering("http://10.0.0.1", False), ADDRESSES) is not None
    assert "pull model only" in (push_refusal(registering("http://127.0.0.1:9000", False), None) or "")


def test_a_push_ven_is_given_no_poll_frequency() -> None:
    config = RegistrationConfig(vtn_id="vtn", poll_interval=timedelta(seconds=10), policy=AcceptAll())
    assert config.poll_freq_for(pushed=True) is None
    assert config.poll_freq_for(pushed=False) == timedelta(seconds=10)
