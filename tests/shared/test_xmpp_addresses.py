"""The rule binding a VEN's XMPP address to its certificate (shared.xmpp_addresses): the JID's account is the
certificate's OpenADR fingerprint, so a VEN may register over XMPP only with its own full JID at the VTN's
domain, and the VTN pushes only to a JID naming the certificate bound to the venID."""

from __future__ import annotations

import pytest

from shared.xmpp_addresses import (
    fingerprint_of_jid,
    parse_jid,
    push_target_refusal,
    xmpp_domain_of,
    xmpp_registration_refusal,
)

FINGERPRINT = "0A:1B:2C:3D:4E:5F:60:71:82:93"
ACCOUNT = "0a1b2c3d4e5f60718293"
OTHER = "ff" * 10


def test_a_jids_account_names_the_certificate_fingerprint_at_the_vtns_domain_only() -> None:
    assert fingerprint_of_jid(parse_jid(f"{ACCOUNT}@vtn.example/ven"), "vtn.example") == FINGERPRINT
    assert fingerprint_of_jid(parse_jid(f"{ACCOUNT}@elsewhere.example/ven"), "vtn.example") is None
    assert fingerprint_of_jid(parse_jid("alice@vtn.example/ven"), "vtn.example") is None
    assert fingerprint_of_jid(parse_jid(f"{ACCOUNT.upper()}@vtn.example"), "vtn.example") is None


@pytest.mark.parametrize("text", ["", " a@b", "a@b/", "@b", "a@b c", "a<b@c", "a@-b.", "a@b/\x01"])
def test_what_is_no_jid_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_jid(text)


def test_the_vtns_address_is_a_bare_jid_with_an_account() -> None:
    assert xmpp_domain_of(f"{ACCOUNT}@VTN.example") == "vtn.example"
    for wrong in ("vtn.example", f"{ACCOUNT}@vtn.example/connector"):
        with pytest.raises(ValueError):
            xmpp_domain_of(wrong)


def test_a_ven_registers_over_xmpp_with_its_own_full_jid_only() -> None:
    own = f"{ACCOUNT}@vtn.example/ven"
    assert xmpp_registration_refusal(own, FINGERPRINT, "vtn.example") is None
    assert "simpleHttp only" in (xmpp_registration_refusal(own, FINGERPRINT, None) or "")
    assert "client certificate" in (xmpp_registration_refusal(own, None, "vtn.example") or "")
    assert "another certificate" in (
        xmpp_registration_refusal(f"{OTHER}@vtn.example/ven", FINGERPRINT, "vtn.example") or ""
    )
    assert "full JID" in (xmpp_registration_refusal(f"{ACCOUNT}@vtn.example", FINGERPRINT, "vtn.example") or "")
    assert "full JID" in (xmpp_registration_refusal(f"{ACCOUNT}@other.example/v", FINGERPRINT, "vtn.example") or "")
    assert "not an XMPP address" in (xmpp_registration_refusal("http://ven.example", FINGERPRINT, "vtn.example") or "")


def test_the_vtn_pushes_only_to_a_jid_naming_the_bound_certificate() -> None:
    assert push_target_refusal(f"{ACCOUNT}@vtn.example/ven", FINGERPRINT, "vtn.example") is None
    assert push_target_refusal(f"{ACCOUNT}@vtn.example/ven", None, "vtn.example") is not None
    assert push_target_refusal(f"{OTHER}@vtn.example/ven", FINGERPRINT, "vtn.example") is not None
    assert push_target_refusal(f"{ACCOUNT}@vtn.example", FINGERPRINT, "vtn.example") is not None
    assert push_target_refusal(None, FINGERPRINT, "vtn.example") is not None
