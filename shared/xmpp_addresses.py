"""XMPP addresses (JIDs) of OpenADR parties, and the rule binding a VEN's JID to its certificate. Pure: no I/O.

On the VTN's XMPP server every client logs in with its TLS certificate alone (SASL EXTERNAL), and its account,
the JID's localpart, is the certificate's OpenADR fingerprint written as 20 lower-case hex digits (the
colon-separated fingerprint without its colons): the server computes it, so a JID names exactly one
certificate (deploy/xmpp/mod_auth_openadr_certificate.lua). Hence:

- a VEN's requests over XMPP come from the certificate its JID names (`fingerprint_of_jid`), checked against
  the venID's binding as a TLS client certificate is over HTTPS;
- a VEN registering with oadrTransportName xmpp gives its full JID (account@domain/resource) as
  oadrTransportAddress, at the VTN's XMPP domain, and that JID must name the certificate it registers with
  (`xmpp_registration_refusal`); the VTN pushes to that JID only while it names the certificate bound to
  the venID.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ACCOUNT_HEX_DIGITS = 20
_ACCOUNT = re.compile(r"^[0-9a-f]{20}$")
_DOMAIN = re.compile(r"^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$")
MAX_RESOURCE_LENGTH = 1023


@dataclass(frozen=True)
class Jid:
    local: str | None
    domain: str
    resource: str | None = None

    @property
    def bare(self) -> str:
        return f"{self.local}@{self.domain}" if self.local else self.domain

    def __str__(self) -> str:
        return f"{self.bare}/{self.resource}" if self.resource else self.bare


def parse_jid(text: str) -> Jid:
    """A JID as `local@domain/resource` (local and resource optional); ValueError when it is not one."""
    if not text or text != text.strip() or len(text) > 3071:
        raise ValueError(f"{text!r} is not an XMPP address")
    bare, slash, resource = text.partition("/")
    local, at, domain = bare.rpartition("@")
    domain = domain.lower()
    if (
        (at and not local)
        or (slash and not resource)
        or not _DOMAIN.match(domain)
        or len(resource) > MAX_RESOURCE_LENGTH
    ):
        raise ValueError(f"{text!r} is not an XMPP address")
    if any(c in local for c in "\"&'/:<>@ ") or any(ord(c) < 32 for c in text):
        raise ValueError(f"{text!r} is not an XMPP address")
    return Jid(local or None, domain, resource or None)


def xmpp_domain_of(bare_jid: str) -> str:
    """The domain of the VTN's XMPP address; ValueError unless it is a bare JID with an account."""
    jid = parse_jid(bare_jid)
    if jid.local is None or jid.resource is not None:
        raise ValueError(f"VTN_XMPP_ADDRESS {bare_jid!r} must be a bare JID: account@domain")
    return jid.domain


def account_of(fingerprint: str) -> str:
    """The XMPP account of a certificate: its OpenADR fingerprint (AB:CD:...) as lower-case hex digits."""
    return fingerprint.replace(":", "").lower()


def fingerprint_of_account(account: str | None) -> str | None:
    """The OpenADR fingerprint (AB:CD:..., as shared.fingerprints writes it) an account names; None when the
    account is not a fingerprint."""
    if account is None or not _ACCOUNT.match(account):
        return None
    upper = account.upper()
    return ":".join(upper[i : i + 2] for i in range(0, ACCOUNT_HEX_DIGITS, 2))


def fingerprint_of_jid(jid: Jid, domain: str) -> str | None:
    """The fingerprint of the certificate behind a sender's JID on the VTN's server (None: not one of its VENs)."""
    return fingerprint_of_account(jid.local) if jid.domain == domain else None


def xmpp_registration_refusal(transport_address: str | None, fingerprint: str | None, domain: str | None) -> str | None:
    """Why a VEN may not register over XMPP with this oadrTransportAddress (None: it may)."""
    if domain is None:
        return "this VTN serves simpleHttp only"
    if fingerprint is None:
        return "registering over XMPP needs a client certificate: the VEN's JID is its certificate's fingerprint"
    try:
        jid = parse_jid(transport_address or "")
    except ValueError:
        return f"oadrTransportAddress {transport_address!r} is not an XMPP address: give the VEN's full JID"
    if jid.domain != domain or jid.resource is None:
        return f"oadrTransportAddress must be the VEN's full JID at {domain} (account@{domain}/resource)"
    if jid.local != account_of(fingerprint):
        return (
            "oadrTransportAddress names another certificate than the one registering (its account is the fingerprint)"
        )
    return None


def push_target_refusal(transport_address: str | None, bound_fingerprint: str | None, domain: str) -> str | None:
    """Why the VTN may not push a VEN's messages to this JID (None: it may): it must be a full JID at the VTN's
    domain naming the certificate bound to the venID."""
    try:
        jid = parse_jid(transport_address or "")
    except ValueError:
        return f"{transport_address!r} is not an XMPP address"
    if jid.domain != domain or jid.resource is None:
        return f"{transport_address} is not a full JID at {domain}"
    if bound_fingerprint is None or jid.local != account_of(bound_fingerprint):
        return f"{transport_address} does not name the certificate bound to the venID"
    return None
