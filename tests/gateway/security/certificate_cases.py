"""Client certificates a TLS handshake accepts and refuses, with a root and an intermediate CA, for tests that
compare the gateway's verification of forwarded certificates with a real handshake."""

from __future__ import annotations

import datetime as dt
import ssl
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from shared.fingerprints import fingerprint_of_der

Key = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
NOW = dt.datetime.now(dt.UTC)
YEAR = dt.timedelta(days=365)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


@dataclass(frozen=True)
class Authority:
    key: Key
    certificate: x509.Certificate


@dataclass(frozen=True)
class Client:
    """A client certificate, its key and the intermediates it presents, written as files for ssl."""

    certificate: x509.Certificate
    chain_file: Path  # leaf then intermediates (PEM), as a VEN loads it
    key_file: Path
    intermediates: tuple[x509.Certificate, ...] = ()

    @property
    def fingerprint(self) -> str:
        return fingerprint_of_der(self.certificate.public_bytes(serialization.Encoding.DER))

    def header(self, *, with_intermediates: bool = False) -> bytes:
        """The URL-encoded PEM an ingress forwards (ingress-nginx forwards the leaf only)."""
        certificates = [self.certificate, *(self.intermediates if with_intermediates else ())]
        pem = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certificates)
        return quote(pem.decode()).encode()


def authority(common_name: str, issuer: Authority | None = None, *, key: Key | None = None) -> Authority:
    key = key or ec.generate_private_key(ec.SECP256R1())
    signer = issuer or Authority(key, None)  # type: ignore[arg-type]
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(issuer.certificate.subject if issuer else _name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + 10 * YEAR)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    return Authority(key, builder.sign(signer.key, hashes.SHA256()))


def client(
    directory: Path,
    name: str,
    issuer: Authority,
    *,
    intermediates: tuple[Authority, ...] = (),
    key: Key | None = None,
    not_before: dt.datetime = NOW - dt.timedelta(days=1),
    not_after: dt.datetime = NOW + YEAR,
    extended_key_usage: list[x509.ObjectIdentifier] | None = None,
    key_usage: x509.KeyUsage | None = None,
    digest: hashes.HashAlgorithm | None = None,
) -> Client:
    """A client certificate; `digest=SHA1()` signs it with RSA-SHA1 (the issuer's key must be RSA)."""
    key = key or ec.generate_private_key(ec.SECP256R1())
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(name))
        .issuer_name(issuer.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage(extended_key_usage or [ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
    )
    if key_usage is not None:
        builder = builder.add_extension(key_usage, critical=True)
    certificate = builder.sign(issuer.key, hashes.SHA256())
    if isinstance(digest, hashes.SHA1):
        certificate = _signed_again_with_sha1(certificate, issuer.key)
    directory.mkdir(parents=True, exist_ok=True)
    chain_file, key_file = directory / f"{name}.crt", directory / f"{name}.key"
    chain = [certificate, *(a.certificate for a in intermediates)]
    chain_file.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return Client(certificate, chain_file, key_file, tuple(a.certificate for a in intermediates))


_SHA256_WITH_RSA = bytes.fromhex("06092a864886f70d01010b")
_SHA1_WITH_RSA = bytes.fromhex("06092a864886f70d010105")


def _der(tag: int, content: bytes) -> bytes:
    size = len(content)
    if size < 0x80:
        return bytes([tag, size]) + content
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + content


def _signed_again_with_sha1(certificate: x509.Certificate, issuer_key: Key) -> x509.Certificate:
    """The same certificate signed with sha1WithRSAEncryption, which cryptography no longer produces."""
    assert isinstance(issuer_key, rsa.RSAPrivateKey), "SHA-1 signatures here are RSA ones"
    tbs = certificate.tbs_certificate_bytes.replace(_SHA256_WITH_RSA, _SHA1_WITH_RSA, 1)
    signature = issuer_key.sign(tbs, padding.PKCS1v15(), hashes.SHA1())
    algorithm = _der(0x30, _SHA1_WITH_RSA + b"\x05\x00")
    return x509.load_der_x509_certificate(_der(0x30, tbs + algorithm + _der(0x03, b"\x00" + signature)))


def write_ca_file(path: Path, *authorities: Authority) -> Path:
    path.write_bytes(b"".join(a.certificate.public_bytes(serialization.Encoding.PEM) for a in authorities))
    return path


def handshake_accepts(server: ssl.SSLContext, ven: Client) -> bool:
    """Whether a real TLS handshake (in memory) between `server` and a client presenting `ven` succeeds."""
    client_context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client_context.check_hostname = False
    client_context.verify_mode = ssl.CERT_NONE
    client_context.set_ciphers("DEFAULT:@SECLEVEL=0")  # the client presents weak keys too: the server judges
    client_context.load_cert_chain(ven.chain_file, ven.key_file)
    to_server, to_client = ssl.MemoryBIO(), ssl.MemoryBIO()
    from_server, from_client = ssl.MemoryBIO(), ssl.MemoryBIO()
    server_side = server.wrap_bio(to_server, from_server, server_side=True)
    client_side = client_context.wrap_bio(to_client, from_client, server_side=False)
    done = {"server": False, "client": False}
    for _ in range(20):
        for name, side in (("client", client_side), ("server", server_side)):
            if done[name]:
                continue
            try:
                side.do_handshake()
                done[name] = True
            except ssl.SSLWantReadError:
                pass
            except ssl.SSLError:
                return False
        to_server.write(from_client.read())
        to_client.write(from_server.read())
        if all(done.values()):
            # TLS 1.3: the server checks the client's certificate when it reads the client's Finished;
            # a refusal reaches the client as an alert on its first read.
            try:
                server_side.write(b"ping")
                to_client.write(from_server.read())
                return client_side.read(4) == b"ping"
            except ssl.SSLError:
                return False
    raise AssertionError("the in-memory handshake did not finish")
