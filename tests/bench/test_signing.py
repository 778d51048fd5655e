"""The generator signs its messages as OpenLEADR's client does: OpenLEADR's verifier, signxml's and the
gateway's accept them, the ds:Signature has OpenLEADR's shape, and every message gets a fresh nonce."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree
from openleadr.messaging import create_message, validate_xml_signature
from signxml.exceptions import InvalidSignature
from signxml.verifier import XMLVerifier

from bench.bench_certs import BenchCertificates, bench_certificates
from bench.loadgen import messages
from bench.loadgen.signing import VenSigner
from gateway.security.signatures import SignatureVerifier, signature_of
from shared.oadr_xml.codec import decode
from tests.conftest import assert_valid


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> BenchCertificates:
    return bench_certificates(tmp_path_factory.mktemp("bench-certs"), vens=2)


def _signers(certs: BenchCertificates) -> dict[str, VenSigner]:
    ven = certs.vens[0]
    return {
        "ecc": VenSigner(Path(ven.cert_path).read_bytes(), Path(ven.key_path).read_bytes()),
        "rsa": VenSigner(certs.vtn_cert.read_bytes(), certs.vtn_key.read_bytes()),
    }


@pytest.mark.parametrize("kind", ["ecc", "rsa"])
@pytest.mark.parametrize(
    "body",
    [
        messages.poll("ven-1"),
        messages.query_registration("r1"),
        messages.create_party_registration("r2", "v", xml_signature=True),
    ],
)
def test_signed_messages_verify_with_openleadr_signxml_and_the_gateway(
    certs: BenchCertificates, kind: str, body: bytes, official_schema: etree.XMLSchema
) -> None:
    signed = _signers(certs)[kind].sign(body)
    validate_xml_signature(etree.fromstring(signed))
    root = etree.fromstring(signed)
    XMLVerifier().verify(root, x509_cert=root.findtext(".//{*}X509Certificate"), expect_references=2)
    content = SignatureVerifier().verify(root, signature_of(root))  # type: ignore[arg-type]
    assert content.signed_object.tag.endswith("oadrSignedObject")
    assert_valid(official_schema, signed)
    assert decode(signed, official_schema).message == decode(body, official_schema).message


def _without_values(document: bytes) -> bytes:
    return re.sub(rb">[^<]*</(ds|dsp):(DigestValue|SignatureValue|X509Certificate|timestamp|nonce)>", b"><", document)


def test_the_signature_has_openleadrs_shape(certs: BenchCertificates) -> None:
    ven = certs.vens[0]
    theirs = create_message(
        "oadrPoll", ven_id="ven-1", cert=Path(ven.cert_path).read_bytes(), key=Path(ven.key_path).read_bytes()
    ).encode()
    ours = _signers(certs)["ecc"].sign(messages.poll("ven-1"))
    assert _without_values(ours) == _without_values(theirs)


def test_every_message_gets_a_fresh_nonce_and_a_tampered_one_fails(certs: BenchCertificates) -> None:
    signer = _signers(certs)["ecc"]
    signed = [signer.sign(messages.poll("ven-1")) for _ in range(3)]
    assert len({etree.fromstring(s).findtext(".//{*}nonce") for s in signed}) == 3
    with pytest.raises(InvalidSignature):
        validate_xml_signature(etree.fromstring(signed[0].replace(b">ven-1<", b">ven-2<")))
