"""The XMPP form (gateway.xmpp.wire_form): a document signed in it still verifies after an XMPP server has
parsed the stanza and written it anew with other namespace prefixes, and it stays valid 2.0b; a document signed
in the usual prefixed form does not survive that rewriting, which is why the VTN signs in the XMPP form."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from lxml import etree

from devstack.certs import Issued
from gateway.security.signatures import MessageSigner, SignatureInvalid, SignatureVerifier, signature_of
from gateway.xmpp.signing import XmppFormSigner
from gateway.xmpp.wire_form import document_of, element_of, xmpp_form
from shared.oadr.common import EiResponse
from shared.oadr.messages import Response
from shared.oadr_xml.codec import encode
from tests.conftest import assert_valid


def rewritten_by_a_server(document: bytes) -> ET.Element:
    """What the receiving client gets: the stanza parsed, written with the writer's own prefixes, parsed again."""
    return ET.fromstring(ET.tostring(ET.fromstring(document)))


def verified_signer(document: bytes) -> str:
    root = etree.fromstring(document)
    signature = signature_of(root)
    assert signature is not None
    return SignatureVerifier().verify(root, signature).signer_fingerprint


def test_a_document_signed_in_the_xmpp_form_verifies_after_the_server_rewrote_it(
    dev_certs: dict[str, Issued], official_schema: etree.XMLSchema
) -> None:
    signer = XmppFormSigner.from_files(dev_certs["vtn-ecc"].cert_path, dev_certs["vtn-ecc"].key_path, None)
    signed = signer.sign(encode(Response(response=EiResponse(), ven_id="ven-1")))
    received = document_of(rewritten_by_a_server(signed))
    assert b"ns0:" not in received and b"oadr:" not in received
    assert_valid(official_schema, received)
    assert verified_signer(received) == dev_certs["vtn-ecc"].fingerprint


def test_a_document_signed_with_prefixes_does_not_survive_the_rewriting(dev_certs: dict[str, Issued]) -> None:
    signer = MessageSigner.from_files(dev_certs["vtn-ecc"].cert_path, dev_certs["vtn-ecc"].key_path, None)
    signed = signer.sign(encode(Response(response=EiResponse(), ven_id="ven-1")))
    assert verified_signer(signed) == dev_certs["vtn-ecc"].fingerprint
    with pytest.raises(SignatureInvalid):
        verified_signer(document_of(rewritten_by_a_server(signed)))


def test_the_xmpp_form_is_a_fixed_point_and_keeps_the_content(official_schema: etree.XMLSchema) -> None:
    body = encode(Response(response=EiResponse(request_id="r-1"), ven_id="ven-1"))
    form = xmpp_form(body)
    assert xmpp_form(form) == form
    assert document_of(element_of(form)) == form
    assert_valid(official_schema, form)
    assert etree.tostring(etree.fromstring(form), method="c14n") != etree.tostring(
        etree.fromstring(body), method="c14n"
    )
    assert b"<requestID" in form and b"r-1" in form and b"ven-1" in form
