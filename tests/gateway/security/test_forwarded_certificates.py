"""Ingress mode: a certificate forwarded by a trusted proxy is accepted exactly when the gateway's own TLS
handshake would accept it (chain to the CA file with intermediates, validity now, fitness for client
authentication, key and signature strength), refused with 463 and a counted reason otherwise, and the
verdicts are cached per certificate, bounded and expiring."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID
from lxml import etree

from gateway.refusals import SECURITY_REFUSALS, SecurityRefusals
from gateway.security.chain_verifier import ChainVerifier
from gateway.security.forwarded_certificates import CertificateRefused, ForwardedCertificates, ca_file_expiry
from gateway.security.identity import ClientIdentity, IdentityRefused
from gateway.security.tls import ServerCertificate, client_verifying_context, server_context
from tests.fakes import UnreachedExchange
from tests.gateway.security.certificate_cases import (
    NOW,
    Authority,
    Client,
    authority,
    client,
    handshake_accepts,
    write_ca_file,
)


class Pki:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.root = authority("VEN root CA", key=rsa.generate_private_key(public_exponent=65537, key_size=2048))
        self.intermediate = authority("VEN issuing CA", self.root)
        self.other_root = authority("Some other CA")
        self.ca_file = write_ca_file(directory / "ca.crt", self.root)
        self.server = client(directory, "vtn", self.root, extended_key_usage=[ExtendedKeyUsageOID.SERVER_AUTH])

    def handshake_context(self, ca_file: Path | None = None) -> object:
        certificate = ServerCertificate(self.server.chain_file, self.server.key_file)
        return server_context([certificate], ca_file or self.ca_file)

    def ven(self, name: str, issuer: Authority | None = None, **options: object) -> Client:
        return client(self.directory, name, issuer or self.root, **options)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return Pki(tmp_path_factory.mktemp("pki"))


def forwarded(ca_file: Path, **options: float) -> ForwardedCertificates:
    verifier = ChainVerifier.like(client_verifying_context(ca_file), ca_file)
    return ForwardedCertificates(verifier, ca_file_expiry(ca_file), **options)  # type: ignore[arg-type]


def verdict(certificates: ForwardedCertificates, header: bytes) -> str:
    try:
        return certificates.fingerprint(header)
    except CertificateRefused as exc:
        return exc.reason


OADR_POLL = "/OpenADR2/Simple/2.0b/OadrPoll"

CASES = {
    "valid": ({}, None),
    "from another CA": ({"issuer": "other_root"}, "forwarded_certificate_untrusted"),
    "expired": ({"not_after": NOW - dt.timedelta(hours=1)}, "forwarded_certificate_expired"),
    "not yet valid": ({"not_before": NOW + dt.timedelta(hours=1)}, "forwarded_certificate_not_yet_valid"),
    "for servers only": (
        {"extended_key_usage": [ExtendedKeyUsageOID.SERVER_AUTH]},
        "forwarded_certificate_not_for_client_auth",
    ),
    "key for encipherment only": (
        {"key_usage": x509.KeyUsage(False, False, True, False, False, False, False, False, False)},
        "forwarded_certificate_not_for_client_auth",
    ),
    "RSA key of 1024 bits": (
        {"key": rsa.generate_private_key(public_exponent=65537, key_size=1024)},
        "forwarded_certificate_weak_key_or_signature",
    ),
    "signed with SHA-1": ({"digest": hashes.SHA1()}, "forwarded_certificate_weak_key_or_signature"),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_a_forwarded_certificate_is_judged_as_the_tls_handshake_judges_it(pki: Pki, case: str) -> None:
    options, refused_as = CASES[case]
    if "issuer" in options:
        options = {**options, "issuer": getattr(pki, str(options["issuer"]))}
    ven = pki.ven(case.replace(" ", "-"), **options)  # type: ignore[arg-type]
    accepted_by_handshake = handshake_accepts(pki.handshake_context(), ven)  # type: ignore[arg-type]
    seen = verdict(forwarded(pki.ca_file), ven.header())
    assert accepted_by_handshake == (refused_as is None)
    assert seen == (ven.fingerprint if refused_as is None else refused_as)


def test_intermediates_are_found_in_the_header_or_in_the_ca_file(pki: Pki) -> None:
    ven = pki.ven("issued-by-intermediate", pki.intermediate, intermediates=(pki.intermediate,))
    fingerprint = ven.fingerprint
    root_only, with_intermediate = pki.ca_file, write_ca_file(pki.directory / "both.crt", pki.root, pki.intermediate)
    assert handshake_accepts(pki.handshake_context(root_only), ven)  # type: ignore[arg-type]
    assert verdict(forwarded(root_only), ven.header(with_intermediates=True)) == fingerprint
    assert verdict(forwarded(root_only), ven.header()) == "forwarded_certificate_untrusted"
    assert verdict(forwarded(with_intermediate), ven.header()) == fingerprint
    # an intermediate of another CA in the header does not help
    stray = pki.ven("stray", authority("stray issuing CA", pki.other_root), intermediates=())
    assert verdict(forwarded(root_only), stray.header()) == "forwarded_certificate_untrusted"


def test_a_header_without_a_certificate_is_refused(pki: Pki) -> None:
    certificates = forwarded(pki.ca_file)
    for header in (b"", b"not a certificate", b"-----BEGIN CERTIFICATE-----%0Agarbage%0A-----END CERTIFICATE-----"):
        assert verdict(certificates, header) == "forwarded_certificate_unreadable"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_verdicts_are_cached_bounded_and_expire(pki: Pki) -> None:
    clock = Clock()
    certificates = ForwardedCertificates(
        ChainVerifier.like(client_verifying_context(pki.ca_file), pki.ca_file),
        ca_file_expiry(pki.ca_file),
        accept_seconds=60,
        refuse_seconds=5,
        max_entries=20,
        clock=clock,
    )
    good, stranger = pki.ven("cached"), pki.ven("cached-stranger", pki.other_root)
    for _ in range(100):
        verdict(certificates, good.header())
        verdict(certificates, stranger.header())
    assert certificates.verifications == 2
    clock.now += 6  # the refusal is forgotten first
    verdict(certificates, stranger.header())
    verdict(certificates, good.header())
    assert certificates.verifications == 3
    clock.now += 60
    verdict(certificates, good.header())
    assert certificates.verifications == 4
    for index in range(30):  # a stream of other certificates never holds more than the bound
        verdict(certificates, pki.ven(f"many-{index}").header())
    assert len(certificates) == 20


def test_a_cached_acceptance_ends_when_the_certificate_expires(pki: Pki) -> None:
    clock, wall = Clock(), Clock()
    wall.now = float(int(time.time()))  # certificates keep whole seconds
    short = pki.ven("short-lived", not_after=dt.datetime.fromtimestamp(wall.now + 30, dt.UTC))
    certificates = ForwardedCertificates(
        ChainVerifier.like(client_verifying_context(pki.ca_file), pki.ca_file),
        ca_file_expiry(pki.ca_file),
        accept_seconds=300,
        clock=clock,
        wall_clock=wall,
    )
    verdict(certificates, short.header())
    clock.now += 29
    verdict(certificates, short.header())
    assert certificates.verifications == 1
    clock.now += 2
    verdict(certificates, short.header())
    assert certificates.verifications == 2


def scope(client_address: str, header: bytes) -> dict[str, object]:
    return {"client": (client_address, 4000), "headers": [(b"ssl-client-cert", header)], "extensions": {}}


def test_ingress_mode_refuses_a_trusted_proxys_certificate_the_handshake_would_refuse(pki: Pki) -> None:
    identify = ClientIdentity(["10.0.0.0/8"], forwarded=forwarded(pki.ca_file))
    good, stranger = pki.ven("through-ingress"), pki.ven("stranger-through-ingress", pki.other_root)
    assert identify(scope("10.1.2.3", good.header())).fingerprint == good.fingerprint
    with pytest.raises(IdentityRefused) as refused:
        identify(scope("10.1.2.3", stranger.header()))
    assert refused.value.reason == "forwarded_certificate_untrusted"


def test_ingress_mode_needs_a_verifier() -> None:
    with pytest.raises(ValueError, match="verifier"):
        ClientIdentity(["10.0.0.0/8"])


async def test_the_refusal_is_a_463_with_a_counted_reason(pki: Pki) -> None:
    from gateway.oadr_http import OadrEndpoints, _fallback_app

    stranger = pki.ven("stranger-at-the-door", pki.other_root)
    refusals = SecurityRefusals()
    before = SECURITY_REFUSALS.labels("forwarded_certificate_untrusted")._value.get()
    identify = ClientIdentity(["10.0.0.0/8"], forwarded=forwarded(pki.ca_file))
    app = OadrEndpoints(UnreachedExchange(), 1024, _fallback_app(), identify, refusals=refusals)  # type: ignore[arg-type]
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"<x/>", "more_body": False}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    request = {**scope("10.1.2.3", stranger.header()), "type": "http", "method": "POST", "path": OADR_POLL}
    await app(request, receive, send)  # type: ignore[arg-type]
    assert sent[0]["status"] == 403
    body = etree.fromstring(sent[1]["body"])  # type: ignore[arg-type]
    assert body.findtext(".//{*}responseCode") == "463"
    assert "forwarded client certificate is refused" in (body.findtext(".//{*}responseDescription") or "")
    assert refusals.counts == {"forwarded_certificate_untrusted": 1}
    assert SECURITY_REFUSALS.labels("forwarded_certificate_untrusted")._value.get() == before + 1
