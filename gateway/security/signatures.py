"""XML signatures on OpenADR documents (OpenADR 2.0b section 10.2, as OpenLEADR does them).

A signed oadrPayload carries one ds:Signature, first child of oadrPayload, with exactly two references: the
message (`#oadrSignedObject`, or the whole payload with the enveloped-signature transform) and the ds:Object
holding dsp:ReplayProtect (nonce and timestamp). Inbound, `SignatureVerifier` first reads the signature
against the profile (gateway.security.signature_profile: anything but the profile's algorithms and shapes is refused
with the reason), then checks it with the certificate it carries and hands back only what was signed: the
message re-read from the signed bytes, and the signed nonce and timestamp. The caller compares that message
with the one the document shows (a signature-wrapping attack hides the signed object elsewhere and shows
another) and checks that the signer is the TLS peer. Outbound, `MessageSigner` signs with a key loaded once
(OpenLEADR reloads it for every message).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from lxml import etree

from gateway.security.signature_profile import (
    DS,
    ECDSA_SHA256,
    INCLUSIVE_C14N,
    RSA_SHA256,
    SHA256,
    KeyAlgorithm,
    ProfileSignature,
    SignatureInvalid,
    SignatureOutsideProfile,
    profile_of,
)
from shared.fingerprints import fingerprint_of_der
from shared.oadr_xml.namespaces import OADR, q
from shared.signature_values import signature_value

__all__ = [
    "DS",
    "DSP",
    "INCLUSIVE_C14N",
    "REPLAY_PROTECT",
    "SIGNATURE",
    "SIGNED_OBJECT",
    "MessageSigner",
    "SignatureInvalid",
    "SignatureOutsideProfile",
    "SignatureVerifier",
    "SignedContent",
    "parse_timestamp",
    "replay_protect",
    "signature_of",
]

DSP = "http://openadr.org/oadr-2.0b/2012/07/xmldsig-properties"
SIGNATURE = f"{{{DS}}}Signature"
REPLAY_PROTECT = f"{{{DSP}}}ReplayProtect"
SIGNED_OBJECT = q(OADR, "oadrSignedObject")
SIGNED_OBJECT_REFERENCE = "#oadrSignedObject"

_PLAIN_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_blank_text=False)


@dataclass(frozen=True)
class SignedContent:
    signed_object: etree._Element
    signed_bytes: bytes  # the signed object, canonicalized (inclusive C14N when it came from a whole-document digest)
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
        value = value.replace(tzinfo=UTC)
    return value


class SignatureVerifier:
    """Verifies a signed OpenADR document and hands back only what was signed.

    The signature is read against the OpenADR profile first (`profile_of`), so only the profile's algorithms
    ever run: canonicalize SignedInfo, resolve each reference (by Id, exactly one element per Id; or the whole
    payload without the signature), canonicalize it and compare its SHA-256 digest, then check the signature
    value with the carried certificate's key. It accepts only when all of that holds: the signer signed
    exactly those canonical bytes, and what is used is re-read from them. No general-purpose XML-DSig
    verifier runs: one would carry out (or skip) whatever transforms the sender names, and signxml's
    serialized and re-parsed the document several times per reference (half of a signed poll's cost).
    """

    def verify(self, root: etree._Element, signature: etree._Element) -> SignedContent:
        profiled = profile_of(signature)
        certificate, fingerprint = _certificate(profiled.certificate)
        signed = _verified_parts(root, signature, profiled, certificate)
        signed_objects = [found for element, _ in signed for found in element.iter(SIGNED_OBJECT)]
        replay = [found for element, _ in signed for found in element.iter(REPLAY_PROTECT)]
        if len(signed_objects) != 1 or len(replay) != 1:
            raise SignatureInvalid("the signature must cover the oadrSignedObject and one ReplayProtect")
        signed_object = signed_objects[0]
        signed_bytes = next((data for element, data in signed if element is signed_object), None)
        if signed_bytes is None:  # inside a whole-document digest: its own canonical form, from the signed bytes
            signed_bytes = etree.tostring(signed_object, method="c14n")
        nonce = (replay[0].findtext(f"{{{DSP}}}nonce") or "").strip()
        if not nonce or len(nonce) > 128:
            raise SignatureInvalid("ReplayProtect lacks a usable nonce")
        return SignedContent(
            signed_object=signed_object,
            signed_bytes=signed_bytes,
            signer_fingerprint=fingerprint,
            nonce=nonce,
            timestamp=parse_timestamp(replay[0].findtext(f"{{{DSP}}}timestamp")),
        )


@lru_cache(maxsize=16384)  # certificate objects are a few KB each: tens of MB at most
def _certificate(text: str) -> tuple[x509.Certificate, str]:
    """The carried certificate and its fingerprint; a VEN sends the same one every time, so it is read once."""
    try:
        der = base64.b64decode("".join(text.split()), validate=True)
    except ValueError:
        raise SignatureInvalid("the signature's X509Certificate is not base64") from None
    try:
        certificate = x509.load_der_x509_certificate(der)
    except ValueError:
        raise SignatureInvalid("the signature's X509Certificate cannot be read") from None
    return certificate, fingerprint_of_der(certificate.public_bytes(serialization.Encoding.DER))


SignedParts = list[tuple[etree._Element, bytes]]  # each signed element, re-read from its canonical bytes
_ID_ATTRIBUTES = frozenset({"Id", "ID", "id"})  # as XML-DSig tools resolve them (xml:id's local name is id)


def _elements_by_id(root: etree._Element, wanted: set[str]) -> dict[str, etree._Element]:
    """The one element carrying each wanted Id; refused when one is missing or carried twice."""
    found: dict[str, etree._Element] = {}
    for element in root.iter():
        for name, value in element.attrib.items():
            if value in wanted and str(name).rpartition("}")[2] in _ID_ATTRIBUTES:
                if value in found:
                    raise SignatureInvalid(f"the signature does not verify: two elements carry the Id {value!r}")
                found[value] = element
    missing = sorted(wanted - found.keys())
    if missing:
        raise SignatureInvalid(f"the signature does not verify: no element carries the Id {missing[0]!r}")
    return found


def _without_signature(root: etree._Element, signature: etree._Element) -> etree._Element:
    """The enveloped-signature transform: a copy of the document without its ds:Signature (text after it kept)."""
    document = copy.deepcopy(root)
    enveloped = document[root.index(signature)]
    tail, previous = enveloped.tail, enveloped.getprevious()
    document.remove(enveloped)
    if tail:
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            document.text = (document.text or "") + tail
    return document


def _signature_checks(certificate: x509.Certificate, algorithm: KeyAlgorithm, value: bytes, data: bytes) -> bool:
    key = certificate.public_key()
    try:
        if algorithm is KeyAlgorithm.RSA and isinstance(key, rsa.RSAPublicKey):
            key.verify(value, data, padding.PKCS1v15(), hashes.SHA256())
            return True
        if algorithm is KeyAlgorithm.ECDSA and isinstance(key, ec.EllipticCurvePublicKey):
            half = len(value) // 2
            if not value or len(value) % 2:
                return False
            der = encode_dss_signature(int.from_bytes(value[:half], "big"), int.from_bytes(value[half:], "big"))
            key.verify(der, data, ec.ECDSA(hashes.SHA256()))
            return True
    except (InvalidSignature, ValueError):
        return False
    return False


def _verified_parts(
    root: etree._Element, signature: etree._Element, profiled: ProfileSignature, certificate: x509.Certificate
) -> SignedParts:
    """What was signed, each referenced part re-read from the bytes its digest covers; SignatureInvalid when
    a reference cannot be resolved, a digest differs or the signature value does not verify."""
    targets = _elements_by_id(root, {r.target_id for r in profiled.references if r.target_id is not None})
    canonical = []
    for reference in profiled.references:
        if reference.target_id is None:
            element = _without_signature(root, signature)
        else:
            element = targets[reference.target_id]
        data = reference.canonicalization.apply(element)
        if not hmac.compare_digest(hashlib.sha256(data).digest(), reference.digest):
            raise SignatureInvalid(f"the signature does not verify: the digest of reference {reference.uri!r} differs")
        canonical.append(data)
    signed_info = profiled.canonicalization.apply(profiled.signed_info)
    if not _signature_checks(certificate, profiled.algorithm, profiled.signature_value, signed_info):
        raise SignatureInvalid("the signature does not verify with the key of its X509Certificate")
    return [(etree.fromstring(data, _PLAIN_PARSER), data) for data in canonical]


def replay_protect(now: datetime | None = None) -> etree._Element:
    """A fresh dsp:ReplayProtect, in the shape OpenLEADR writes and checks."""
    element = etree.Element(REPLAY_PROTECT, nsmap={"dsp": DSP}, attrib={"Id": "myid", "Target": "#mytarget"})
    stamp = (now or datetime.now(UTC)).astimezone(UTC)
    etree.SubElement(element, f"{{{DSP}}}timestamp").text = stamp.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    etree.SubElement(element, f"{{{DSP}}}nonce").text = uuid.uuid4().hex
    return element


_SIGNATURE_URIS = {"rsa": RSA_SHA256, "ecdsa": ECDSA_SHA256}
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

    `prefixed` False writes the signature with default namespace declarations instead of the ds: and dsp:
    prefixes, for documents in the XMPP form (gateway.xmpp.wire_form): XMPP servers rewrite prefixes, and a
    signature made over that form survives the rewriting.
    """

    def __init__(self, cert_pem: bytes, key_pem: bytes, passphrase: str | None = None, prefixed: bool = True) -> None:
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
        self._build_template(base64.b64encode(der).decode("ascii"), prefixed)

    def _build_template(self, certificate_b64: str, prefixed: bool) -> None:
        # The template sits in an oadrPayload so that canonicalization sees the namespaces it will have.
        payload = etree.Element(q(OADR, "oadrPayload"), nsmap={"oadr" if prefixed else None: OADR})
        self._signature = etree.SubElement(
            payload, SIGNATURE, nsmap={"ds": DS, "oadr": OADR} if prefixed else {None: DS}
        )
        self._signed_info = _ds(self._signature, "SignedInfo")
        _ds(self._signed_info, "CanonicalizationMethod", Algorithm=INCLUSIVE_C14N)
        _ds(self._signed_info, "SignatureMethod", Algorithm=_SIGNATURE_URIS[self._algorithm])
        digests = []
        for uri in (SIGNED_OBJECT_REFERENCE, "#prop"):
            reference = _ds(self._signed_info, "Reference", URI=uri)
            _ds(_ds(reference, "Transforms"), "Transform", Algorithm=INCLUSIVE_C14N)
            _ds(reference, "DigestMethod", Algorithm=SHA256)
            digests.append(_ds(reference, "DigestValue"))
        self._object_digest, self._properties_digest = digests
        self._signature_value = _ds(self._signature, "SignatureValue")
        _ds(_ds(_ds(self._signature, "KeyInfo"), "X509Data"), "X509Certificate").text = certificate_b64
        self._properties = _ds(self._signature, "Object", Id="prop")
        prop = _ds(_ds(self._properties, "SignatureProperties"), "SignatureProperty", Id="myid", Target="#mytarget")
        replay = etree.SubElement(prop, REPLAY_PROTECT, nsmap={"dsp" if prefixed else None: DSP})
        self._timestamp = etree.SubElement(replay, f"{{{DSP}}}timestamp")
        self._nonce = etree.SubElement(replay, f"{{{DSP}}}nonce")

    @classmethod
    def from_files(
        cls, cert_path: Path, key_path: Path, passphrase: str | None, prefixed: bool = True
    ) -> MessageSigner:
        return cls(cert_path.read_bytes(), key_path.read_bytes(), passphrase, prefixed)

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
        stamp = (now or datetime.now(UTC)).astimezone(UTC)
        self._timestamp.text = stamp.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        self._nonce.text = uuid.uuid4().hex
        self._object_digest.text = object_digest
        self._properties_digest.text = _b64_digest(etree.tostring(self._properties, method="c14n"))
        signed_info = etree.tostring(self._signed_info, method="c14n")
        self._signature_value.text = base64.b64encode(signature_value(self._key, signed_info)).decode()
        signature: bytes = etree.tostring(self._signature)
        at = body.find(_PAYLOAD_OPEN)
        if at >= 0:
            at += len(_PAYLOAD_OPEN)
            return body[:at] + signature + body[at:]
        root = etree.fromstring(body, _PLAIN_PARSER)
        root.insert(0, etree.fromstring(signature))
        signed: bytes = etree.tostring(root, xml_declaration=True, encoding="utf-8")
        return signed
