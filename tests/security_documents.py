"""Signed OpenADR documents and the attacks on them, for the gateway's unit tests and the integration tests."""

from __future__ import annotations

import copy
from datetime import datetime
from pathlib import Path

from lxml import etree
from openleadr.messaging import create_message
from signxml.algorithms import DigestAlgorithm, SignatureConstructionMethod, SignatureMethod
from signxml.signer import XMLSigner

from gateway.security.signatures import DS, INCLUSIVE_C14N, MessageSigner, replay_protect
from shared.oadr_xml.namespaces import OADR, q

SIGNED_OBJECT = q(OADR, "oadrSignedObject")
VEN_ID = "{http://docs.oasis-open.org/ns/energyinterop/201110}venID"


def openleadr_signed(message_type: str, cert: Path, key: Path, **payload: object) -> bytes:
    """A document signed by OpenLEADR's own create_message, as an OpenLEADR VEN sends it."""
    return create_message(message_type, cert=cert.read_bytes(), key=key.read_bytes(), **payload).encode()


def signed_at(message_type: str, cert: Path, key: Path, at: datetime, **payload: object) -> bytes:
    """A document signed with the given ReplayProtect timestamp (for stale or future messages)."""
    body = create_message(message_type, **payload).encode()
    return MessageSigner(cert.read_bytes(), key.read_bytes()).sign(body, now=at)


def tampered(signed: bytes, new_ven_id: str) -> bytes:
    """The signed document with its venID changed after signing."""
    root = etree.fromstring(signed)
    root.find(SIGNED_OBJECT).find(f".//{VEN_ID}").text = new_ven_id
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


def wrapped(message_type: str, cert: Path, key: Path, new_ven_id: str, **payload: object) -> bytes:
    """Signature wrapping: a valid signature over a signed object hidden in a ds:Object, with an unsigned
    forgery shown where the message belongs. The hidden object is signed in a place with the same namespaces
    in scope as its final one, so the signature verifies: only "use what was signed" stops the forgery."""
    root = etree.fromstring(create_message(message_type, **payload).encode())
    original = root.find(SIGNED_OBJECT)
    forgery = copy.deepcopy(original)
    forgery.attrib.pop(q(OADR, "Id"), None)
    forgery.find(f".//{VEN_ID}").text = new_ven_id
    hiding_place = etree.SubElement(root, f"{{{DS}}}Object", nsmap={"ds": DS})
    hiding_place.append(original)
    signer = XMLSigner(
        method=SignatureConstructionMethod.detached,
        signature_algorithm=SignatureMethod.RSA_SHA256,
        digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm=INCLUSIVE_C14N,
    )
    signer.namespaces["oadr"] = OADR  # as OpenLEADR does: SignedInfo then canonicalizes alike in and out of the payload
    signature = signer.sign(
        root,
        key=key.read_bytes(),
        cert=cert.read_text(),
        reference_uri="#oadrSignedObject",
        signature_properties=replay_protect(),
    )
    signature.append(hiding_place)
    root.insert(0, signature)
    root.append(forgery)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")
