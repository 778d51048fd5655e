"""XML signatures on OpenADR documents (OpenADR 2.0b section 10.2, as OpenLEADR does them).

A signed oadrPayload carries one detached ds:Signature, first child of oadrPayload, with exactly two
references: `#oadrSignedObject` (the message) and the ds:SignatureProperties holding dsp:ReplayProtect
(nonce and timestamp). Inbound, `SignatureVerifier` checks the signature with the certificate it carries,
then hands back only what was signed: the message re-read from the signed bytes, and the signed nonce and
timestamp. The caller compares that message with the one the document shows (a signature-wrapping attack
hides the signed object elsewhere and shows another) and checks that the signer is the TLS peer.
Outbound, `MessageSigner` signs with a key loaded once (OpenLEADR reloads it for every message).
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from lxml import etree
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureMethod
from signxml.verifier import SignatureConfiguration, XMLVerifier

from shared.fingerprints import fingerprint_of_der
from shared.oadr_xml.namespaces import OADR, q

DS = "http://www.w3.org/2000/09/xmldsig#"
DSP = "http://openadr.org/oadr-2.0b/2012/07/xmldsig-properties"
SIGNATURE = f"{{{DS}}}Signature"
X509_CERTIFICATE = f"{{{DS}}}X509Certificate"
REPLAY_PROTECT = f"{{{DSP}}}ReplayProtect"
SIGNED_OBJECT = q(OADR, "oadrSignedObject")
SIGNED_OBJECT_REFERENCE = "#oadrSignedObject"
INCLUSIVE_C14N = CanonicalizationMethod.CANONICAL_XML_1_0

_EXPECTED = SignatureConfiguration(
    expect_references=2,
    signature_methods=frozenset({SignatureMethod.RSA_SHA256, SignatureMethod.ECDSA_SHA256}),
    digest_algorithms=frozenset({DigestAlgorithm.SHA256}),
)
_PLAIN_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_blank_text=False)


class SignatureInvalid(Exception):
    """The signature is missing where required, malformed, or does not verify."""


@dataclass(frozen=True)
class SignedContent:
    signed_object: etree._Element
    signed_bytes: bytes  # the signed object as canonicalized for its digest
    signer_fingerprint: str
    nonce: str
    timestamp: datetime


def signature_of(root: etree._Element) -> etree._Element | None:
    """The document's ds:Signature; more than one, or one anywhere but first under oadrPayload, is refused."""
    signatures = list(root.iter(SIGNATURE))
    if not signatures:
        return None
    if len(signatures) != 1 or signatures[0].getparent() is not root:
        raise SignatureInvalid("a signed oadrPayload has exactly one ds:Signature, directly under oadrPayload")
    return signatures[0]


def parse_timestamp(text: str | None) -> datetime:
    if not text:
        raise SignatureInvalid("ReplayProtect lacks a timestamp")
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise SignatureInvalid("ReplayProtect timestamp is not an xs:dateTime") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value


class SignatureVerifier:
    """Verifies a signed OpenADR document and hands back only what was signed.

    The signature OpenADR VENs send (OpenLEADR's, and the OpenADR 2.0b profile's) has one shape: inclusive
    C14N 1.0, RSA-SHA256 or ECDSA-SHA256, two references by Id each with one C14N 1.0 transform and SHA-256.
    For that shape the gateway checks the signature itself, on the parsed document: canonicalize SignedInfo,
    check the signature value with the carried certificate's key, canonicalize each referenced element
    (resolved by Id, exactly one element per Id) and compare its digest. It accepts only when all of that
    holds: then the signer signed exactly those canonical bytes, and what is used is re-read from them.
    Anything else (another shape, an ambiguous or missing Id, a digest or signature that does not match)
    goes to signxml's general verifier, which decides; signxml serializes and re-parses the document several
    times per reference, which made it about half of a signed poll's cost in the gateway.
    """

    def verify(self, root: etree._Element, signature: etree._Element) -> SignedContent:
        certificates = signature.findall(f"{{{DS}}}KeyInfo/{{{DS}}}X509Data/{{{DS}}}X509Certificate")
        if len(certificates) != 1 or not (certificates[0].text or "").strip():
            raise SignatureInvalid("the signature must carry exactly one X509Certificate (the sender's)")
        try:
            certificate = x509.load_der_x509_certificate(_b64(certificates[0].text or ""))
        except ValueError:
            raise SignatureInvalid("the signature's X509Certificate cannot be read") from None
        signed = _verified_openadr_shape(root, signature, certificate)
        if signed is None:
            signed = _verified_by_signxml(root, certificate)
        signed_objects = [(element, data) for element, data in signed if element.tag == SIGNED_OBJECT]
        replay = [found for element, _ in signed for found in element.iter(REPLAY_PROTECT)]
        if len(signed_objects) != 1 or len(replay) != 1:
            raise SignatureInvalid("the signature must cover the oadrSignedObject and one ReplayProtect")
        nonce = (replay[0].findtext(f"{{{DSP}}}nonce") or "").strip()
        if not nonce or len(nonce) > 128:
            raise SignatureInvalid("ReplayProtect lacks a usable nonce")
        return SignedContent(
            signed_object=signed_objects[0][0],
            signed_bytes=signed_objects[0][1],
            signer_fingerprint=fingerprint_of_der(certificate.public_bytes(serialization.Encoding.DER)),
            nonce=nonce,
            timestamp=parse_timestamp(replay[0].findtext(f"{{{DSP}}}timestamp")),
        )


SignedParts = list[tuple[etree._Element, bytes]]  # each signed element, re-read from its canonical bytes


def _verified_by_signxml(root: etree._Element, certificate: x509.Certificate) -> SignedParts:
    try:
        # The OpenADR XSD has validated ds:Signature against the xmldsig schema already.
        results = XMLVerifier().verify(root, x509_cert=certificate, expect_config=_EXPECTED, validate_schema=False)
    except Exception as exc:  # signxml, lxml and cryptography each raise their own; all mean "refuse"
        raise SignatureInvalid(f"the signature does not verify ({type(exc).__name__}: {str(exc)[:200]})") from None
    assert isinstance(results, list)
    parts: SignedParts = []
    for result in results:
        if result.signed_xml is not None and isinstance(result.signed_data, bytes):
            parts.append((result.signed_xml, result.signed_data))
    return parts


_C14N_METHOD = f"{{{DS}}}CanonicalizationMethod"
_SIGNATURE_METHOD = f"{{{DS}}}SignatureMethod"
_REFERENCE = f"{{{DS}}}Reference"
_TRANSFORMS = f"{{{DS}}}Transforms"
_TRANSFORM = f"{{{DS}}}Transform"
_DIGEST_METHOD = f"{{{DS}}}DigestMethod"
_DIGEST_VALUE = f"{{{DS}}}DigestValue"
_SIGNED_INFO_SHAPE = [_C14N_METHOD, _SIGNATURE_METHOD, _REFERENCE, _REFERENCE]
_REFERENCE_SHAPE = [_TRANSFORMS, _DIGEST_METHOD, _DIGEST_VALUE]
_ID_ATTRIBUTES = frozenset({"Id", "ID", "id"})  # as signxml resolves them (xml:id's local name is id)


def _c14n(element: etree._Element) -> bytes:
    data: bytes = etree.tostring(element, method="c14n", exclusive=False, with_comments=False)
    return data


def _elements_by_id(root: etree._Element, wanted: set[str]) -> dict[str, etree._Element] | None:
    """The one element carrying each wanted Id; None when one is missing or carried twice."""
    found: dict[str, etree._Element] = {}
    for element in root.iter():
        for name, value in element.attrib.items():
            if value in wanted and str(name).rpartition("}")[2] in _ID_ATTRIBUTES:
                if value in found:
                    return None
                found[value] = element
    return found if len(found) == len(wanted) else None


def _signature_checks(
    certificate: x509.Certificate, method: str | None, value: bytes, data: bytes
) -> bool:
    key = certificate.public_key()
    try:
        if method == _SIGNATURE_URIS["rsa"] and isinstance(key, rsa.RSAPublicKey):
            key.verify(value, data, padding.PKCS1v15(), hashes.SHA256())
            return True
        if method == _SIGNATURE_URIS["ecdsa"] and isinstance(key, ec.EllipticCurvePublicKey):
            half = len(value) // 2
            if not value or len(value) % 2:
                return False
            der = encode_dss_signature(int.from_bytes(value[:half], "big"), int.from_bytes(value[half:], "big"))
            key.verify(der, data, ec.ECDSA(hashes.SHA256()))
            return True
    except (InvalidSignature, ValueError):
        return False
    return False


def _verified_openadr_shape(
    root: etree._Element, signature: etree._Element, certificate: x509.Certificate
) -> SignedParts | None:
    """What was signed, when the signature has the OpenADR shape and verifies; None to let signxml decide."""
    signed_info = signature.find(f"{{{DS}}}SignedInfo")
    if signed_info is None or [child.tag for child in signed_info] != _SIGNED_INFO_SHAPE:
        return None
    c14n_method, signature_method = signed_info[0], signed_info[1]
    if c14n_method.get("Algorithm") != _C14N_URI or len(c14n_method) or len(signature_method):
        return None
    digests: dict[str, bytes] = {}
    for reference in signed_info[2:]:
        uri = reference.get("URI") or ""
        if not uri.startswith("#") or uri[1:] in digests or [child.tag for child in reference] != _REFERENCE_SHAPE:
            return None
        transforms, digest_method, digest_value = reference
        if [(t.tag, t.get("Algorithm"), len(t)) for t in transforms] != [(_TRANSFORM, _C14N_URI, 0)]:
            return None
        if digest_method.get("Algorithm") != _SHA256_URI or len(digest_method):
            return None
        try:
            digests[uri[1:]] = base64.b64decode("".join((digest_value.text or "").split()), validate=True)
        except ValueError:
            return None
    targets = _elements_by_id(root, set(digests))
    if targets is None:
        return None
    canonical = {}
    for reference_id, digest in digests.items():
        data = _c14n(targets[reference_id])
        if hashlib.sha256(data).digest() != digest:
            return None
        canonical[reference_id] = data
    try:
        value = base64.b64decode("".join((signature.findtext(f"{{{DS}}}SignatureValue") or "").split()), validate=True)
    except ValueError:
        return None
    if not _signature_checks(certificate, signature_method.get("Algorithm"), value, _c14n(signed_info)):
        return None
    # Only what was signed is used: each referenced element re-read from the bytes its digest covers.
    return [(etree.fromstring(data, _PLAIN_PARSER), data) for data in canonical.values()]


def _b64(text: str) -> bytes:
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except ValueError:
        raise SignatureInvalid("the signature's X509Certificate is not base64") from None


def replay_protect(now: datetime | None = None) -> etree._Element:
    """A fresh dsp:ReplayProtect, in the shape OpenLEADR writes and checks."""
    element = etree.Element(REPLAY_PROTECT, nsmap={"dsp": DSP}, attrib={"Id": "myid", "Target": "#mytarget"})
    stamp = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    etree.SubElement(element, f"{{{DSP}}}timestamp").text = stamp.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    etree.SubElement(element, f"{{{DSP}}}nonce").text = uuid.uuid4().hex
    return element


_C14N_URI = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
_SHA256_URI = "http://www.w3.org/2001/04/xmlenc#sha256"
_SIGNATURE_URIS = {
    "rsa": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    "ecdsa": "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
}
_PAYLOAD_OPEN = b'<oadr:oadrPayload xmlns:oadr="' + OADR.encode() + b'">'
_DIGEST_CACHE_ENTRIES = 4096


def _ds(parent: etree._Element, name: str, **attributes: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{DS}}}{name}", attrib=attributes)


def _b64_digest(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


class MessageSigner:
    """Signs outbound documents with the VTN's certificate and key, both read once at start.

    The ds:Signature is the one signxml builds for OpenLEADR (detached, inclusive C14N 1.0, SHA-256, a
    reference to `#oadrSignedObject` and one to the ds:Object holding dsp:ReplayProtect), filled into a
    template kept for the signer's life: per answer only the ReplayProtect, two digests and the signature
    value change. The digest of an answer body is cached, so the poll answers the gateway repeats from its
    cache cost one private-key operation each and no XML parsing. OpenLEADR's verifier checks the result in
    the tests.
    """

    def __init__(self, cert_pem: bytes, key_pem: bytes, passphrase: str | None = None) -> None:
        password = passphrase.encode() if passphrase else None
        try:
            key = serialization.load_pem_private_key(key_pem, password)
        except ValueError:
            key = serialization.load_der_private_key(key_pem, password)
        if isinstance(key, rsa.RSAPrivateKey):
            self._algorithm = "rsa"
        elif isinstance(key, ec.EllipticCurvePrivateKey):
            self._algorithm = "ecdsa"
        else:
            raise ValueError("the VTN's signing key must be RSA or ECC")
        self._key = key
        certificate = x509.load_pem_x509_certificate(cert_pem)
        der = certificate.public_bytes(serialization.Encoding.DER)
        self.fingerprint = fingerprint_of_der(der)
        self._digests: dict[bytes, str] = {}
        self._build_template(base64.b64encode(der).decode("ascii"))

    def _build_template(self, certificate_b64: str) -> None:
        # The template sits in an oadrPayload so that canonicalization sees the namespaces it will have.
        payload = etree.Element(q(OADR, "oadrPayload"), nsmap={"oadr": OADR})
        self._signature = etree.SubElement(payload, SIGNATURE, nsmap={"ds": DS, "oadr": OADR})
        self._signed_info = _ds(self._signature, "SignedInfo")
        _ds(self._signed_info, "CanonicalizationMethod", Algorithm=_C14N_URI)
        _ds(self._signed_info, "SignatureMethod", Algorithm=_SIGNATURE_URIS[self._algorithm])
        digests = []
        for uri in (SIGNED_OBJECT_REFERENCE, "#prop"):
            reference = _ds(self._signed_info, "Reference", URI=uri)
            _ds(_ds(reference, "Transforms"), "Transform", Algorithm=_C14N_URI)
            _ds(reference, "DigestMethod", Algorithm=_SHA256_URI)
            digests.append(_ds(reference, "DigestValue"))
        self._object_digest, self._properties_digest = digests
        self._signature_value = _ds(self._signature, "SignatureValue")
        _ds(_ds(_ds(self._signature, "KeyInfo"), "X509Data"), "X509Certificate").text = certificate_b64
        self._properties = _ds(self._signature, "Object", Id="prop")
        prop = _ds(_ds(self._properties, "SignatureProperties"), "SignatureProperty", Id="myid", Target="#mytarget")
        replay = etree.SubElement(prop, REPLAY_PROTECT, nsmap={"dsp": DSP})
        self._timestamp = etree.SubElement(replay, f"{{{DSP}}}timestamp")
        self._nonce = etree.SubElement(replay, f"{{{DSP}}}nonce")

    @classmethod
    def from_files(cls, cert_path: Path, key_path: Path, passphrase: str | None) -> MessageSigner:
        return cls(cert_path.read_bytes(), key_path.read_bytes(), passphrase)

    def sign(self, body: bytes, now: datetime | None = None) -> bytes:
        """The same oadrPayload with a ds:Signature (and a fresh ReplayProtect, stamped `now`) as its first child."""
        object_digest = self._digests.get(body)
        if object_digest is None:
            root = etree.fromstring(body, _PLAIN_PARSER)
            signed_object = root.find(SIGNED_OBJECT)
            if root.tag != q(OADR, "oadrPayload") or signed_object is None:
                raise ValueError("only an oadrPayload with an oadrSignedObject can be signed")
            object_digest = _b64_digest(etree.tostring(signed_object, method="c14n"))
            if len(self._digests) >= _DIGEST_CACHE_ENTRIES:
                self._digests.clear()
            self._digests[body] = object_digest
        stamp = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
        self._timestamp.text = stamp.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        self._nonce.text = uuid.uuid4().hex
        self._object_digest.text = object_digest
        self._properties_digest.text = _b64_digest(etree.tostring(self._properties, method="c14n"))
        self._signature_value.text = base64.b64encode(self._sign(etree.tostring(self._signed_info, method="c14n"))).decode()
        signature: bytes = etree.tostring(self._signature)
        at = body.find(_PAYLOAD_OPEN)
        if at >= 0:
            at += len(_PAYLOAD_OPEN)
            return body[:at] + signature + body[at:]
        root = etree.fromstring(body, _PLAIN_PARSER)
        root.insert(0, etree.fromstring(signature))
        signed: bytes = etree.tostring(root, xml_declaration=True, encoding="utf-8")
        return signed

    def _sign(self, data: bytes) -> bytes:
        if isinstance(self._key, rsa.RSAPrivateKey):
            return self._key.sign(data, padding.PKCS1v15(), hashes.SHA256())
        assert isinstance(self._key, ec.EllipticCurvePrivateKey)
        r, s = decode_dss_signature(self._key.sign(data, ec.ECDSA(hashes.SHA256())))
        size = (self._key.curve.key_size + 7) // 8
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")  # XML-DSig wants r || s, not DER
