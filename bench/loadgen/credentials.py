"""A simulated VEN's credentials on an HTTPS run: its TLS client context and, when messages are signed, its signer."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

from bench.loadgen.config import ClientCertificate, SecureVens
from bench.loadgen.signing import VenSigner


@dataclass(frozen=True)
class VenCredentials:
    ssl_context: ssl.SSLContext
    signer: VenSigner | None

    @classmethod
    def load(cls, secure: SecureVens, certificate: ClientCertificate) -> VenCredentials:
        # Verifies the VTN's certificate against the CA and its name (127.0.0.1 or localhost), as a VEN must.
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=secure.ca_file)
        context.load_cert_chain(certificate.cert_path, certificate.key_path)
        signer = None
        if secure.sign:
            signer = VenSigner(Path(certificate.cert_path).read_bytes(), Path(certificate.key_path).read_bytes())
        return cls(context, signer)
