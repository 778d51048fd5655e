"""Signed OpenADR documents in any XML-DSig shape, for the signature-profile tests.

`signed_in_shape` builds the ds:Signature itself (first child of oadrPayload, the sender's X509Certificate,
a ds:Object Id="prop" holding a fresh ReplayProtect) with the canonicalization, signature method, digest and
references asked for, and computes true digests and a true signature value for them. A transform it does not
know (XSLT, XPath, base64, ...) is written but treated as the identity when digesting: the document is then
what a verifier that skips unknown transforms would accept, which is the attack the profile check stops.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from lxml import etree
from openleadr.messaging import create_message

from gateway.security.signature_profile import (
    DS,
    ECDSA_SHA256,
    ENVELOPED_SIGNATURE,
    EXCLUSIVE_C14N,
    INCLUSIVE_C14N,
    RSA_SHA256,
    SHA256,
)
from gateway.security.signatures import REPLAY_PROTECT, replay_protect

SHA1 = "http://www.w3.org/2000/09/xmldsig#sha1"
SHA512 = "http://www.w3.org/2001/04/xmlenc#sha512"
RSA_SHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
DSA_SHA1 = "http://www.w3.org/2000/09/xmldsig#dsa-sha1"
HMAC_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256"
HMAC_SHA1 = "http://www.w3.org/2000/09/xmldsig#hmac-sha1"
XSLT = "http://www.w3.org/TR/1999/REC-xslt-19991116"
XPATH = "http://www.w3.org/TR/1999/REC-xpath-19991116"
XPATH_FILTER2 = "http://www.w3.org/2002/06/xmldsig-filter2"
BASE64 = "http://www.w3.org/2000/09/xmldsig#base64"
C14N_11 = "http://www.w3.org/2006/12/xml-c14n11"
INCLUSIVE_WITH_COMMENTS = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments"
EXCLUSIVE_WITH_COMMENTS = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments"
_C14N = {INCLUSIVE_C14N: False, EXCLUSIVE_C14N: True}
_DIGESTS = {SHA256: hashlib.sha256, SHA1: hashlib.sha1, SHA512: hashlib.sha512}


@dataclass(frozen=True)
class Transform:
    algorithm: str
    parameters: tuple[etree._Element, ...] = ()


@dataclass(frozen=True)
class Reference:
    uri: str | None
    transforms: tuple[Transform, ...] | None = (Transform(INCLUSIVE_C14N),)  # None: no Transforms element
    digest: str = SHA256


OPENLEADR_REFERENCES = (Reference("#oadrSignedObject"), Reference("#prop"))


@dataclass(frozen=True)
class Shape:
    canonicalization: str = INCLUSIVE_C14N
    signature_method: str = RSA_SHA256
    references: tuple[Reference, ...] = OPENLEADR_REFERENCES
    key_info_extra: tuple[etree._Element, ...] = field(default=())
    signature_method_parameters: tuple[etree._Element, ...] = ()


XSL = "http://www.w3.org/1999/XSL/Transform"


def identity_stylesheet() -> etree._Element:
    """An XSLT transform's parameter: a stylesheet that copies its input (any stylesheet would do)."""
    sheet = etree.Element(f"{{{XSL}}}stylesheet", version="1.0", nsmap={"xsl": XSL})
    etree.SubElement(etree.SubElement(sheet, f"{{{XSL}}}template", match="/"), f"{{{XSL}}}copy-of", select=".")
    return sheet


def ds(name: str, **attributes: str) -> etree._Element:
    return etree.Element(f"{{{DS}}}{name}", attrib=attributes, nsmap={"ds": DS})


def _c14n(element: etree._Element, algorithm: str) -> bytes:
    data: bytes = etree.tostring(element, method="c14n", exclusive=_C14N.get(algorithm, False), with_comments=False)
    return data


def _referenced(root: etree._Element, signature: etree._Element, reference: Reference) -> bytes:
    """The bytes digested for `reference`: its target after the transforms this helper knows."""
    transforms = reference.transforms or ()
    wanted = (reference.uri or "")[1:]
    by_id = [e for e in root.iter() if wanted and wanted in (e.get("Id"), e.get(f"{{{root.nsmap.get('oadr', '')}}}Id"))]
    if by_id:
        target = by_id[0]
    else:  # the whole document (or what a URI this helper does not resolve would name)
        target = copy.deepcopy(root)
        if any(t.algorithm == ENVELOPED_SIGNATURE for t in transforms):
            target.remove(target[root.index(signature)])
    c14n = [t.algorithm for t in transforms if t.algorithm in _C14N]
    return _c14n(target, c14n[-1] if c14n else INCLUSIVE_C14N)


def _signature_value(method: str, key_pem: bytes, certificate_der: bytes, data: bytes) -> bytes:
    if method in (HMAC_SHA256, HMAC_SHA1):  # keyed with the public certificate: the classic algorithm-confusion forgery
        return hmac.new(certificate_der, data, hashlib.sha256 if method == HMAC_SHA256 else hashlib.sha1).digest()
    key = serialization.load_pem_private_key(key_pem, None)
    digest = hashes.SHA1() if method in (RSA_SHA1, DSA_SHA1) else hashes.SHA256()
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), digest)
    assert isinstance(key, ec.EllipticCurvePrivateKey) and method == ECDSA_SHA256
    r, s = decode_dss_signature(key.sign(data, ec.ECDSA(digest)))
    size = (key.curve.key_size + 7) // 8
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def signed_in_shape(message_type: str, cert: Path, key: Path, shape: Shape, **payload: object) -> bytes:
    root = etree.fromstring(create_message(message_type, **payload).encode())
    certificate_der = x509.load_pem_x509_certificate(cert.read_bytes()).public_bytes(serialization.Encoding.DER)
    signature = ds("Signature")
    signed_info = etree.SubElement(signature, f"{{{DS}}}SignedInfo")
    etree.SubElement(signed_info, f"{{{DS}}}CanonicalizationMethod", Algorithm=shape.canonicalization)
    method = etree.SubElement(signed_info, f"{{{DS}}}SignatureMethod", Algorithm=shape.signature_method)
    method.extend(copy.deepcopy(list(shape.signature_method_parameters)))
    digest_values = []
    for reference in shape.references:
        element = etree.SubElement(signed_info, f"{{{DS}}}Reference")
        if reference.uri is not None:
            element.set("URI", reference.uri)
        if reference.transforms is not None:
            transforms = etree.SubElement(element, f"{{{DS}}}Transforms")
            for transform in reference.transforms:
                step = etree.SubElement(transforms, f"{{{DS}}}Transform", Algorithm=transform.algorithm)
                step.extend(copy.deepcopy(list(transform.parameters)))
        etree.SubElement(element, f"{{{DS}}}DigestMethod", Algorithm=reference.digest)
        digest_values.append((reference, etree.SubElement(element, f"{{{DS}}}DigestValue")))
    etree.SubElement(signature, f"{{{DS}}}SignatureValue")
    key_info = etree.SubElement(signature, f"{{{DS}}}KeyInfo")
    x509_data = etree.SubElement(key_info, f"{{{DS}}}X509Data")
    etree.SubElement(x509_data, f"{{{DS}}}X509Certificate").text = base64.b64encode(certificate_der).decode()
    key_info.extend(copy.deepcopy(list(shape.key_info_extra)))
    properties = etree.SubElement(signature, f"{{{DS}}}Object", Id="prop")
    prop = etree.SubElement(
        etree.SubElement(properties, f"{{{DS}}}SignatureProperties"),
        f"{{{DS}}}SignatureProperty",
        Id="myid",
        Target="#mytarget",
    )
    prop.append(replay_protect())
    root.insert(0, signature)
    # Re-read so that every namespace sits where a parser puts it, as the verifier will see it.
    root = etree.fromstring(etree.tostring(root))
    signature = root[0]
    signed_info = signature[0]
    for index, (reference, _) in enumerate(digest_values):
        data = _referenced(root, signature, reference)
        digest = _DIGESTS.get(reference.digest, hashlib.sha256)(data).digest()
        signed_info[2 + index].find(f"{{{DS}}}DigestValue").text = base64.b64encode(digest).decode()
    signed = _c14n(signed_info, shape.canonicalization)
    signature[1].text = base64.b64encode(
        _signature_value(shape.signature_method, key.read_bytes(), certificate_der, signed)
    ).decode()
    assert root.find(f".//{REPLAY_PROTECT}") is not None
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")
