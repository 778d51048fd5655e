"""Development certificates: one CA, the VTN's RSA and ECC server certificates, the XMPP server's
certificate, VEN certificates.

`python -m devstack certs` writes them under `.devstack/certs/` (or `--dir`) and prints the settings
that turn on HTTPS with client certificates and signed messages, and each certificate's OpenADR
fingerprint. It also writes `xmpp.env`, the VTN's XMPP address for the domain `localhost` (the account is
the fingerprint of vtn-rsa.crt, which the XMPP connector logs in with), read by docker-compose.yml. A second CA ("other-ca") is written too, so a test can present a certificate the VTN must
refuse. Never use these outside development: the keys are unencrypted and the CA is throwaway.
"""

from __future__ import annotations

import argparse
import datetime as dt
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from shared.fingerprints import fingerprint_of_der
from shared.xmpp_addresses import account_of

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
VALIDITY = dt.timedelta(days=825)
XMPP_DOMAIN = "localhost"
XMPP_ENV = "xmpp.env"


@dataclass(frozen=True)
class Issued:
    cert_path: Path
    key_path: Path
    fingerprint: str


def _new_key(kind: str) -> PrivateKey:
    if kind == "ecc":
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _write(path: Path, key: PrivateKey, cert: x509.Certificate) -> Issued:
    path.parent.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = path.with_suffix(".crt"), path.with_suffix(".key")
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    key_path.chmod(0o600)
    return Issued(cert_path, key_path, fingerprint_of_der(cert.public_bytes(serialization.Encoding.DER)))


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "VTN development"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def make_ca(path: Path, common_name: str) -> tuple[Issued, PrivateKey, x509.Certificate]:
    key = _new_key("ecc")
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return _write(path, key, cert), key, cert


def _general_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def issue(
    path: Path,
    common_name: str,
    kind: str,
    ca_key: PrivateKey,
    ca_cert: x509.Certificate,
    *,
    server: bool,
    server_names: Sequence[str] | None = None,
) -> Issued:
    """A leaf certificate for `common_name`: a server one or a client one. A server certificate names
    `server_names` (host names or addresses), by default `common_name`, localhost and 127.0.0.1."""
    key = _new_key(kind)
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False
        )
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
    )
    if server:
        names = server_names if server_names is not None else (common_name, "localhost", "127.0.0.1")
        alternative_names = x509.SubjectAlternativeName([_general_name(name) for name in dict.fromkeys(names)])
        builder = builder.add_extension(alternative_names, critical=False)
    return _write(path, key, builder.sign(ca_key, hashes.SHA256()))


def generate(directory: Path, ven_names: list[str]) -> dict[str, Issued]:
    """Write the CA, the VTN's certificates and one certificate per VEN; return them by role."""
    ca, ca_key, ca_cert = make_ca(directory / "ca", "VTN development CA")
    other, other_key, other_cert = make_ca(directory / "other-ca", "Some other CA")
    issued = {
        "ca": ca,
        "vtn-rsa": issue(directory / "vtn-rsa", "localhost", "rsa", ca_key, ca_cert, server=True),
        "vtn-ecc": issue(directory / "vtn-ecc", "localhost", "ecc", ca_key, ca_cert, server=True),
        "xmpp": issue(directory / "xmpp", XMPP_DOMAIN, "ecc", ca_key, ca_cert, server=True, server_names=[XMPP_DOMAIN]),
        "other-ca": other,
        "stranger": issue(directory / "stranger", "stranger-ven", "rsa", other_key, other_cert, server=False),
    }
    for name in ven_names:
        issued[name] = issue(directory / name, name, "rsa", ca_key, ca_cert, server=False)
    (directory / XMPP_ENV).write_text(xmpp_env(issued))
    return issued


def xmpp_env(issued: dict[str, Issued]) -> str:
    """The VTN's XMPP address, for the VTN's processes (VTN_XMPP_ADDRESS) and the XMPP server (OPENADR_XMPP_VTN)."""
    address = f"{account_of(issued['vtn-rsa'].fingerprint)}@{XMPP_DOMAIN}"
    return f"VTN_XMPP_ADDRESS={address}\nOPENADR_XMPP_VTN={address}\n"


def settings_for(issued: dict[str, Issued]) -> dict[str, str]:
    """The environment that serves HTTPS with these certificates and signs with the VTN's RSA key."""
    return {
        "VTN_HTTP_CERT": str(issued["vtn-rsa"].cert_path),
        "VTN_HTTP_KEY": str(issued["vtn-rsa"].key_path),
        "VTN_HTTP_ECC_CERT": str(issued["vtn-ecc"].cert_path),
        "VTN_HTTP_ECC_KEY": str(issued["vtn-ecc"].key_path),
        "VTN_HTTP_CA_FILE": str(issued["ca"].cert_path),
        "VTN_CERT": str(issued["vtn-rsa"].cert_path),
        "VTN_KEY": str(issued["vtn-rsa"].key_path),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack certs", description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=Path(".devstack/certs"), help="default .devstack/certs")
    parser.add_argument(
        "--ven", action="append", default=None, help="a VEN to issue a certificate for (repeatable; ven1, ven2)"
    )
    args = parser.parse_args(argv)
    issued = generate(args.dir.resolve(), args.ven or ["ven1", "ven2"])
    print(f"Development certificates written to {args.dir.resolve()}\n")
    for role, item in issued.items():
        print(f"  {role:<10} {item.fingerprint}  {item.cert_path}")
    print("\nExport these before `make run` to serve HTTPS with client certificates and signed messages:\n")
    for name, value in settings_for(issued).items():
        print(f"export {name}={value}")
    ven = issued[(args.ven or ["ven1"])[0]]
    print(
        "\nA VEN uses its own certificate, the VTN's fingerprint and the CA, e.g. with OpenLEADR:\n"
        f"  OpenADRClient(ven_name='{ven.cert_path.stem}', vtn_url='https://localhost:8080/OpenADR2/Simple/2.0b',\n"
        f"      cert='{ven.cert_path}', key='{ven.key_path}',\n"
        f"      ca_file='{issued['ca'].cert_path}', vtn_fingerprint='{issued['vtn-rsa'].fingerprint}')"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
