"""Access tokens, their stored hashes, session ids and CSRF tokens. Pure (stdlib only).

An operator's access token is `vtnop.<operator id>.<secret>`: the id finds the row, the secret is checked
against its scrypt hash (hashlib.scrypt, n=2^14, r=8, p=1, a 16-byte salt), so the database never holds a
usable credential. Session ids and CSRF tokens are 32 random bytes; only the SHA-256 of a session id is
stored (it is random, so a fast hash suffices, and a stolen table holds no usable cookie).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

TOKEN_PREFIX = "vtnop"
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
_SCRYPT_SCHEME = "scrypt"
_MAX_TOKEN_LENGTH = 200


@dataclass(frozen=True)
class IssuedToken:
    operator_id: str
    token: str  # shown once to the admin, never stored
    token_hash: str


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_secret(secret: str, salt: bytes | None = None) -> str:
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    return f"{_SCRYPT_SCHEME}${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def secret_matches(secret: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != _SCRYPT_SCHEME:
            return False
        computed = hashlib.scrypt(
            secret.encode(), salt=_unb64(salt), n=int(n), r=int(r), p=int(p), dklen=len(_unb64(digest))
        )
    except ValueError:
        return False
    return hmac.compare_digest(computed, _unb64(digest))


def issue_token(operator_id: str | None = None) -> IssuedToken:
    operator_id = operator_id or secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    return IssuedToken(operator_id, f"{TOKEN_PREFIX}.{operator_id}.{secret}", hash_secret(secret))


def parse_token(token: str) -> tuple[str, str] | None:
    """(operator id, secret) of a well-formed operator token, else None."""
    if len(token) > _MAX_TOKEN_LENGTH:
        return None
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def new_session_id() -> str:
    return secrets.token_urlsafe(32)


def session_hash(session_id: str) -> bytes:
    return hashlib.sha256(session_id.encode()).digest()


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def same_secret(presented: str | None, expected: str) -> bool:
    """Constant-time comparison of a presented token with the expected one."""
    return presented is not None and hmac.compare_digest(presented.encode(), expected.encode())
