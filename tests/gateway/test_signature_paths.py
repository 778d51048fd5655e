"""The verifier's two paths: OpenADR-shaped signatures are checked directly on the parsed document, anything
else by signxml; both hand back the same signed bytes, and the direct path never accepts what signxml refuses."""

from __future__ import annotations

import copy

import pytest
from lxml import etree
from openleadr.messaging import create_message
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureConstructionMethod, SignatureMethod
from signxml.signer import XMLSigner

import gateway.signatures as signatures
from devstack.certs import Issued
from gateway.signatures import DS, SIGNED_OBJECT, SignatureInvalid, SignatureVerifier, replay_protect, signature_of
from shared.oadr_xml.namespaces import OADR, q
from tests.security_documents import openleadr_signed, tampered


def _parts(document: bytes) -> tuple[etree._Element, etree._Element, object]:
    from cryptography import x509

    root = etree.fromstring(document)
    signature = signature_of(root)
    assert signature is not None
    text = signature.findtext(f".//{{{DS}}}X509Certificate") or ""
    certificate = x509.load_der_x509_certificate(signatures._b64(text))
    return root, signature, certificate


@pytest.mark.parametrize("ven", ["ven1", "vtn-ecc"])
def test_an_openleadr_signature_takes_the_direct_path_and_yields_what_signxml_yields(
    dev_certs: dict[str, Issued], ven: str
) -> None:
    document = openleadr_signed("oadrPoll", dev_certs[ven].cert_path, dev_certs[ven].key_path, ven_id="ven-1")
    root, signature, certificate = _parts(document)
    direct = signatures._verified_openadr_shape(root, signature, certificate)  # type: ignore[arg-type]
    general = signatures._verified_by_signxml(root, certificate)  # type: ignore[arg-type]
    assert direct is not None
    assert sorted(data for _, data in direct) == sorted(data for _, data in general)


def test_the_direct_path_is_what_verify_uses(dev_certs: dict[str, Issued], monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object) -> None:
        raise AssertionError("signxml was not needed")

    monkeypatch.setattr(signatures, "_verified_by_signxml", refuse)
    document = openleadr_signed("oadrPoll", dev_certs["ven1"].cert_path, dev_certs["ven1"].key_path, ven_id="ven-1")
    root = etree.fromstring(document)
    content = SignatureVerifier().verify(root, signature_of(root))  # type: ignore[arg-type]
    assert content.signed_object.tag == SIGNED_OBJECT and content.nonce


def test_a_tampered_document_is_left_to_signxml_which_refuses_it(dev_certs: dict[str, Issued]) -> None:
    signed = openleadr_signed("oadrPoll", dev_certs["ven1"].cert_path, dev_certs["ven1"].key_path, ven_id="ven-1")
    root, signature, certificate = _parts(tampered(signed, "ven-2"))
    assert signatures._verified_openadr_shape(root, signature, certificate) is None  # type: ignore[arg-type]
    with pytest.raises(SignatureInvalid, match="does not verify"):
        SignatureVerifier().verify(root, signature)


def test_a_second_element_with_the_signed_id_is_left_to_signxml_which_refuses_it(dev_certs: dict[str, Issued]) -> None:
    signed = openleadr_signed("oadrPoll", dev_certs["ven1"].cert_path, dev_certs["ven1"].key_path, ven_id="ven-1")
    root, signature, certificate = _parts(signed)
    twin = copy.deepcopy(root.find(SIGNED_OBJECT))
    root.append(twin)
    assert signatures._verified_openadr_shape(root, signature, certificate) is None  # type: ignore[arg-type]
    with pytest.raises(SignatureInvalid, match="Ambiguous"):
        SignatureVerifier().verify(root, signature)


def test_a_signature_of_another_shape_is_verified_by_signxml(dev_certs: dict[str, Issued]) -> None:
    """Exclusive canonicalization is valid XML-DSig but not the OpenADR shape: signxml accepts it."""
    root = etree.fromstring(create_message("oadrPoll", ven_id="ven-1").encode())
    signer = XMLSigner(
        method=SignatureConstructionMethod.detached,
        signature_algorithm=SignatureMethod.RSA_SHA256,
        digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
    )
    signer.namespaces["oadr"] = OADR
    ven = dev_certs["ven1"]
    signature = signer.sign(
        root, key=ven.key_path.read_bytes(), cert=ven.cert_path.read_text(), reference_uri="#oadrSignedObject",
        signature_properties=replay_protect(),
    )
    root.insert(0, signature)
    document = etree.fromstring(etree.tostring(root))
    parsed_root, parsed_signature, certificate = _parts(etree.tostring(document))
    direct = signatures._verified_openadr_shape(parsed_root, parsed_signature, certificate)  # type: ignore[arg-type]
    assert direct is None
    content = SignatureVerifier().verify(parsed_root, parsed_signature)
    assert content.signed_object.tag == q(OADR, "oadrSignedObject")
