"""Certificates for an HTTPS benchmark run: one development CA, the VTN's certificates, one per simulated VEN.

    certificates = bench_certificates(log_dir / "certs", vens=1000)

The CA and the VTN's RSA and ECC certificates come from devstack's tooling (`devstack.certs`), the same
`make certs` makes. Each simulated VEN gets its own ECC P-256 certificate (fast to make: 1,000 take a few
seconds, where RSA keys would take minutes): the VTN binds a venID to the certificate that registered it,
so VENs cannot share one. Files already there are reused, so the targets and the generator of one run,
which call this separately, see the same certificates.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from bench.loadgen.config import ClientCertificate, SecureVens
from devstack.certs import PrivateKey, issue, make_ca

VEN_PREFIX = "ven-"


@dataclass(frozen=True)
class BenchCertificates:
    ca_file: Path
    vtn_cert: Path  # RSA-2048: the server certificate and the signing key, for OpenLEADR and this VTN alike
    vtn_key: Path
    vtn_ecc_cert: Path
    vtn_ecc_key: Path
    vens: tuple[ClientCertificate, ...]

    def secure_vens(self, sign: bool = True) -> SecureVens:
        return SecureVens(ca_file=str(self.ca_file), certificates=self.vens, sign=sign)


def certificates_dir(log_dir: Path) -> Path:
    return log_dir / "certs"


def _ca(directory: Path) -> tuple[PrivateKey, x509.Certificate]:
    cert_path, key_path = directory / "ca.crt", directory / "ca.key"
    if not cert_path.exists():
        _, key, cert = make_ca(directory / "ca", "VTN benchmark CA")
        return key, cert
    loaded = serialization.load_pem_private_key(key_path.read_bytes(), None)
    assert isinstance(loaded, PrivateKey)
    return loaded, x509.load_pem_x509_certificate(cert_path.read_bytes())


def bench_certificates(directory: Path, vens: int) -> BenchCertificates:
    """The CA, the VTN's certificates and at least `vens` VEN certificates under `directory` (made as needed)."""
    directory.mkdir(parents=True, exist_ok=True)
    ca_key, ca_cert = _ca(directory)
    for name, kind in (("vtn-rsa", "rsa"), ("vtn-ecc", "ecc")):
        if not (directory / f"{name}.crt").exists():
            issue(directory / name, "localhost", kind, ca_key, ca_cert, server=True)
    certificates = []
    for index in range(vens):
        path = directory / f"{VEN_PREFIX}{index:05d}"
        if not path.with_suffix(".crt").exists():
            issue(path, path.name, "ecc", ca_key, ca_cert, server=False)
        certificates.append(ClientCertificate(str(path.with_suffix(".crt")), str(path.with_suffix(".key"))))
    return BenchCertificates(
        ca_file=directory / "ca.crt",
        vtn_cert=directory / "vtn-rsa.crt",
        vtn_key=directory / "vtn-rsa.key",
        vtn_ecc_cert=directory / "vtn-ecc.crt",
        vtn_ecc_key=directory / "vtn-ecc.key",
        vens=tuple(certificates),
    )
