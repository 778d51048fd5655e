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
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
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
    def verify(self, root: etree._Element, signature: etree._Element) -> SignedContent:
        certificates = signature.findall(f"{{{DS}}}KeyInfo/{{{DS}}}X509Data/{{{DS}}}X509Certificate")
        if len(certificates) != 1 or not (certificates[0].text or "").strip():
            raise SignatureInvalid("the signature must carry exactly one X509Certificate (the sender's)")
        try:
            certificate = x509.load_der_x509_certificate(_b64(certificates[0].text or ""))
        except ValueError:
            raise SignatureInvalid("the signature's X509Certificate cannot be read") from None
        try:
            # The OpenADR XSD has validated ds:Signature against the xmldsig schema already.
            results = XMLVerifier().verify(root, x509_cert=certificate, expect_config=_EXPECTED, validate_schema=False)
        except Exception as exc:  # signxml, lxml and cryptography each raise their own; all mean "refuse"
            raise SignatureInvalid(f"the signature does not verify ({type(exc).__name__}: {str(exc)[:200]})") from None
        assert isinstance(results, list)
        signed_objects = [r for r in results if r.signed_xml is not None and r.signed_xml.tag == SIGNED_OBJECT]
        replay = [
            found
            for r in results
            if r.signed_xml is not None
            for found in r.signed_xml.iter(REPLAY_PROTECT)
        ]
        if len(signed_objects) != 1 or len(replay) != 1:
            raise SignatureInvalid("the signature must cover the oadrSignedObject and one ReplayProtect")
        nonce = (replay[0].findtext(f"{{{DSP}}}nonce") or "").strip()
        if not nonce or len(nonce) > 128:
            raise SignatureInvalid("ReplayProtect lacks a usable nonce")
        assert signed_objects[0].signed_xml is not None and isinstance(signed_objects[0].signed_data, bytes)
        return SignedContent(
            signed_object=signed_objects[0].signed_xml,
            signed_bytes=signed_objects[0].signed_data,
            signer_fingerprint=fingerprint_of_der(certificate.public_bytes(serialization.Encoding.DER)),
            nonce=nonce,
            timestamp=parse_timestamp(replay[0].findtext(f"{{{DSP}}}timestamp")),
        )


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
