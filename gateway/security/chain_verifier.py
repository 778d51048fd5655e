"""Verifies a client certificate chain with OpenSSL, exactly as the gateway's TLS handshake verifies its peer.

Behind an ingress, the VEN's TLS connection ends at the ingress, which forwards the client certificate in a
header. The gateway must accept that certificate exactly when its own handshake would have accepted it, so
it asks the same library with the same settings. Python's ssl module verifies certificates only inside a
handshake, so this module calls the libcrypto the ssl module is linked to, through ctypes, the way libssl
does for a client certificate:

    X509_STORE loaded once from the CA file (X509_STORE_load_locations, as load_verify_locations does)
    per chain: X509_STORE_CTX_init(store, leaf, untrusted intermediates)
               X509_STORE_CTX_set_default("ssl_client")      purpose sslclient: key usage digitalSignature and
                                                            extended key usage clientAuth when present, trust
                                                            of SSL clients, basic constraints of every CA
               the TLS context's verify flags and security level   keys and signature digests below the
                                                            level refused (SHA-1, RSA < 2048 bits at level 2)
               X509_verify_cert                             chain to a CA of the file, signatures, validity now

Each OpenSSL object is freed before `verify` returns and the thread's OpenSSL error queue is left empty, so
the ssl module never sees an error of ours.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import re
import ssl
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

_SSL_CLIENT = b"ssl_client"

# X509_V_ERR_* codes (openssl/x509_vfy.h) grouped into the bounded reasons the gateway counts.
_REASON_CODES = {
    "not_yet_valid": {9},
    "expired": {10},
    "revoked": {23},
    # no issuer in the CA file, a bad signature, self-signed, not a CA, path too long, untrusted, rejected
    "untrusted": {2, 7, 18, 19, 20, 21, 22, 24, 25, 27, 28, 32, 37, 79},
    "not_for_client_auth": {26, 39},  # purpose sslclient: extended key usage / key usage
    "weak_key_or_signature": {66, 67, 68, 76, 77, 78, 94},  # below the security level, unsupported algorithm
}
_REASONS = {code: reason for reason, codes in _REASON_CODES.items() for code in codes}


@dataclass(frozen=True, slots=True)
class ChainRefused:
    """Why OpenSSL refused a chain: a bounded `reason` for metrics, OpenSSL's own words in `detail`."""

    reason: str
    detail: str


class OpenSslUnavailable(RuntimeError):
    """The libcrypto the ssl module uses cannot be called from here."""


def _mapped_libcryptos() -> list[str]:
    """The libcrypto files this process has loaded (Linux): the ssl module's among them."""
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return []
    return list(dict.fromkeys(re.findall(r"(/\S*libcrypto[^/\s]*\.so[^/\s]*)$", maps, re.MULTILINE)))


def _load_libcrypto() -> ctypes.CDLL:
    """The libcrypto of the ssl module: a loaded one of the same OpenSSL version as `ssl`, else any OpenSSL."""
    import _ssl  # its libcrypto is the one to use

    loaded = []
    for candidate in [*_mapped_libcryptos(), _ssl.__file__, ctypes.util.find_library("crypto")]:
        if not candidate:
            continue
        try:
            library = ctypes.CDLL(candidate)
            version = library.OpenSSL_version_num  # a statically linked _ssl may not export it
            version.restype = ctypes.c_ulong
            library.X509_verify_cert  # noqa: B018
        except (OSError, AttributeError):
            continue
        if version() == ssl.OPENSSL_VERSION_NUMBER:
            return library
        loaded.append(library)
    if loaded:
        log.warning(
            "forwarded certificates are verified by another OpenSSL version than the ssl module's",
            extra={"action": "openssl_version_differs", "ssl_module": ssl.OPENSSL_VERSION},
        )
        return loaded[0]
    raise OpenSslUnavailable("libcrypto (OpenSSL) could not be loaded to verify forwarded client certificates")


def _bind(library: ctypes.CDLL) -> ctypes.CDLL:
    pointer, integer, long = ctypes.c_void_p, ctypes.c_int, ctypes.c_long
    signatures: dict[str, tuple[list[type], type | None]] = {
        "OpenSSL_version_num": ([], ctypes.c_ulong),
        "ERR_clear_error": ([], None),
        "d2i_X509": ([pointer, ctypes.POINTER(ctypes.c_char_p), long], pointer),
        "X509_free": ([pointer], None),
        "X509_STORE_new": ([], pointer),
        "X509_STORE_free": ([pointer], None),
        "X509_STORE_load_locations": ([pointer, ctypes.c_char_p, ctypes.c_char_p], integer),
        "X509_STORE_CTX_new": ([], pointer),
        "X509_STORE_CTX_free": ([pointer], None),
        "X509_STORE_CTX_init": ([pointer, pointer, pointer, pointer], integer),
        "X509_STORE_CTX_set_default": ([pointer, ctypes.c_char_p], integer),
        "X509_STORE_CTX_get0_param": ([pointer], pointer),
        "X509_VERIFY_PARAM_set_flags": ([pointer, ctypes.c_ulong], integer),
        "X509_VERIFY_PARAM_set_auth_level": ([pointer, integer], None),
        "X509_verify_cert": ([pointer], integer),
        "X509_STORE_CTX_get_error": ([pointer], integer),
        "X509_verify_cert_error_string": ([long], ctypes.c_char_p),
        "OPENSSL_sk_new_null": ([], pointer),
        "OPENSSL_sk_push": ([pointer, pointer], integer),
        "OPENSSL_sk_free": ([pointer], None),
    }
    for name, (arguments, result) in signatures.items():
        function = getattr(library, name)
        function.argtypes = arguments
        function.restype = result
    return library


class ChainVerifier:
    """Verifies DER certificate chains against a CA file with a TLS server context's verification settings."""

    def __init__(self, ca_file: Path, verify_flags: int, security_level: int) -> None:
        self._lib = _bind(_load_libcrypto())
        self._flags = verify_flags
        self._level = security_level
        store = self._lib.X509_STORE_new()
        if not store:
            raise MemoryError("X509_STORE_new failed")
        self._store: int | None = store
        if self._lib.X509_STORE_load_locations(store, str(ca_file).encode(), None) != 1:
            self._lib.ERR_clear_error()
            self.close()
            raise ValueError(f"no CA certificate could be read from {ca_file}")

    @classmethod
    def like(cls, context: ssl.SSLContext, ca_file: Path) -> ChainVerifier:
        """A verifier that decides as `context` (with `ca_file` loaded) decides in a handshake."""
        return cls(ca_file, int(context.verify_flags), context.security_level)

    @property
    def openssl_version(self) -> int:
        return int(self._lib.OpenSSL_version_num())

    def verify(self, leaf: bytes, intermediates: list[bytes]) -> ChainRefused | None:
        """None when the chain (DER certificates, leaf first) is accepted for TLS client authentication now."""
        if self._store is None:
            raise RuntimeError("the verifier is closed")
        lib = self._lib
        certificates: list[int] = []
        stack = context = None
        try:
            for der in [leaf, *intermediates]:
                certificate = self._parse(der)
                if certificate is None:
                    return ChainRefused("unreadable", "not a DER X.509 certificate")
                certificates.append(certificate)
            stack = lib.OPENSSL_sk_new_null()
            context = lib.X509_STORE_CTX_new()
            if not stack or not context:
                raise MemoryError("OpenSSL could not allocate a verification context")
            for certificate in certificates[1:]:
                if lib.OPENSSL_sk_push(stack, certificate) <= 0:
                    raise MemoryError("OpenSSL could not build the chain")
            if lib.X509_STORE_CTX_init(context, self._store, certificates[0], stack) != 1:
                raise MemoryError("X509_STORE_CTX_init failed")
            lib.X509_STORE_CTX_set_default(context, _SSL_CLIENT)
            parameters = lib.X509_STORE_CTX_get0_param(context)
            lib.X509_VERIFY_PARAM_set_flags(parameters, self._flags)
            lib.X509_VERIFY_PARAM_set_auth_level(parameters, self._level)
            if lib.X509_verify_cert(context) == 1:
                return None
            code = int(lib.X509_STORE_CTX_get_error(context))
            words = lib.X509_verify_cert_error_string(code)
            detail = words.decode("ascii", "replace") if words else f"verification error {code}"
            return ChainRefused(_reason(code), detail)
        finally:
            if context:
                lib.X509_STORE_CTX_free(context)
            if stack:
                lib.OPENSSL_sk_free(stack)  # the certificates in it are freed below, once
            for certificate in certificates:
                lib.X509_free(certificate)
            lib.ERR_clear_error()

    def _parse(self, der: bytes) -> int | None:
        cursor = ctypes.c_char_p(der)
        certificate = self._lib.d2i_X509(None, ctypes.byref(cursor), len(der))
        return int(certificate) if certificate else None

    def close(self) -> None:
        if self._store is not None:
            self._lib.X509_STORE_free(self._store)
            self._store = None

    def __del__(self) -> None:
        if getattr(self, "_store", None) is not None:
            self.close()


def _reason(code: int) -> str:
    return _REASONS.get(code, "invalid")
