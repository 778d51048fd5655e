"""Where the VTN may push (SSRF rules for a VEN's oadrTransportAddress): the form, the allowlist, and the
addresses never reached whatever the allowlist says."""

from __future__ import annotations

import ipaddress

import pytest

from shared.push_addresses import AddressRefused, PushAddressPolicy, parse_allowlist, parse_push_address
from shared.settings import VtnSettings


def policy(allowed: str = "", *, tls: bool = False) -> PushAddressPolicy:
    return PushAddressPolicy(
        allowlist=parse_allowlist(allowed),
        require_tls=tls,
        own_ports=frozenset({8080, 8081, 9092, 5432}),
        own_addresses=frozenset({ipaddress.ip_address("192.0.2.10")}),
    )


def refusal(address: str, allowed: str = "", *, tls: bool = False, resolved: str | None = None) -> str | None:
    checked = policy(allowed, tls=tls)
    try:
        parsed = parse_push_address(address)
        checked.check_address(parsed)
        if resolved is not None:
            checked.check_resolved(parsed, ipaddress.ip_address(resolved))
    except AddressRefused as refused:
        return str(refused)
    return None


def test_the_service_paths_hang_below_the_address_and_a_given_service_root_is_not_doubled() -> None:
    assert parse_push_address("https://ven.example.com:8443/sites/7").url("EiEvent") == (
        "https://ven.example.com:8443/sites/7/OpenADR2/Simple/2.0b/EiEvent"
    )
    assert parse_push_address("http://ven.example.com/OpenADR2/Simple/2.0b/").url("EiReport") == (
        "http://ven.example.com/OpenADR2/Simple/2.0b/EiReport"
    )
    assert parse_push_address("http://[2001:db8::1]:81").host_header() == "[2001:db8::1]:81"


def test_a_2_0a_ven_is_pushed_to_its_one_endpoint_given_or_not() -> None:
    assert parse_push_address("https://ven.example.com/sites/7").profile_a_path == "/sites/7/OpenADR2/Simple/EiEvent"
    assert parse_push_address("https://ven.example.com/OpenADR2/Simple/EiEvent/").profile_a_path == (
        "/OpenADR2/Simple/EiEvent"
    )


@pytest.mark.parametrize(
    "address",
    [None, "", "   ", "ven.example.com", "ftp://ven.example.com", "http://user:pw@ven.example.com",
     "http://ven.example.com/?next=x", "http://ven.example.com/#frag", "http://:80", "http://ven.example.com:99999",
     "http://" + "a" * 3000 + ".com"],
)  # fmt: skip
def test_an_address_that_is_no_usable_http_url_is_refused(address: str | None) -> None:
    with pytest.raises(AddressRefused):
        parse_push_address(address)


@pytest.mark.parametrize(
    "address",
    ["http://169.254.169.254/latest", "http://[fd00:ec2::254]/", "http://100.100.100.200/", "http://0.0.0.0:9000",
     "http://224.0.0.1:9000", "http://240.0.0.1:9000"],
)  # fmt: skip
def test_metadata_unspecified_multicast_and_reserved_addresses_are_refused_even_when_listed(address: str) -> None:
    assert refusal(address, "0.0.0.0/0,::/0") is not None


@pytest.mark.parametrize(
    "address",
    [
        "http://127.0.0.1:8081",
        "http://[::1]:8080",
        "http://192.0.2.10:9092",
        "http://[::ffff:127.0.0.1]:5432",
        "http://localhost:8081",
        "http://x.localhost:9092",
    ],
)
def test_the_vtns_own_ports_on_its_own_addresses_are_refused_even_when_listed(address: str) -> None:
    assert "own ports" in (refusal(address, "127.0.0.0/8,::1,192.0.2.0/24") or "")


@pytest.mark.parametrize(
    "address",
    [
        "http://127.0.0.1:9000",
        "http://10.1.2.3",
        "http://192.168.1.5",
        "http://172.16.0.1",
        "http://169.254.1.1",
        "http://100.64.0.1",
        "http://[fe80::1]",
    ],
)
def test_loopback_private_link_local_and_shared_addresses_are_refused_unless_listed(address: str) -> None:
    assert refusal(address) is not None
    assert (
        refusal(address, "127.0.0.0/8,10.0.0.0/8,192.168.0.0/16,172.16.0.0/12,169.254.0.0/16,100.64.0.0/10,fe80::/10")
        is None
    )


def test_any_public_address_by_default_and_only_listed_hosts_or_networks_with_an_allowlist() -> None:
    assert refusal("http://8.8.8.8:8443") is None
    assert refusal("http://8.8.8.8:8443", "203.0.113.0/24") is not None
    assert refusal("http://203.0.113.9:8443", "203.0.113.0/24") is None
    assert refusal("https://ven.example.com", "*.example.com", resolved="8.8.4.4") is None
    assert refusal("https://ven.example.org", "*.example.com", resolved="8.8.4.4") is not None
    assert refusal("https://ven.example.org", "ven.example.com") is not None  # decided without DNS
    assert (
        refusal("https://ven.example.com", "ven.example.com", resolved="10.0.0.1") is not None
    )  # a name is no network


def test_a_name_resolving_to_a_refused_address_is_refused_when_resolved() -> None:
    assert refusal("http://ven.example.com:9000") is None  # at registration: no DNS
    assert refusal("http://ven.example.com:9000", resolved="10.0.0.7") is not None
    assert refusal("http://ven.example.com:8081", "127.0.0.0/8", resolved="127.0.0.1") is not None


def test_a_secured_vtn_pushes_over_https_only() -> None:
    assert "https" in (refusal("http://8.8.8.8", tls=True) or "")
    assert refusal("https://8.8.8.8", tls=True) is None


def test_the_allowlist_setting_is_checked_and_loopback_is_for_development_only() -> None:
    with pytest.raises(ValueError):
        parse_allowlist("10.0.0.0/8, not a host!")
    assert VtnSettings(push_allowed_networks="127.0.0.0/8").push_allowed_networks == "127.0.0.0/8"
    for loopback in ("127.0.0.1", "::1", "localhost", "127.0.0.0/8", "0.0.0.0/0"):
        with pytest.raises(ValueError, match="loopback"):
            VtnSettings(
                environment="production",
                admin_token="an-admin-token-of-at-least-32-characters",
                push_allowed_networks=loopback,
            )
    VtnSettings(
        environment="production",
        admin_token="an-admin-token-of-at-least-32-characters",
        push_allowed_networks="10.20.0.0/16,*.vens.example.com",
    )


def test_the_policy_from_settings_knows_the_vtns_ports() -> None:
    settings = VtnSettings(
        http_port=7000, admin_port=7001, health_port=7002, kafka_bootstrap="k1:7092,k2:7093",
        database_url="postgresql://u@db:7432/vtn",
    )  # fmt: skip
    own = PushAddressPolicy.from_settings(settings).own_ports
    assert {7000, 7001, 7002, 7092, 7093, 7432} <= own
