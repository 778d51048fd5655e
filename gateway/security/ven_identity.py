"""Every request's venID must belong to the certificate that sent it (the rule: shared.ven_identity).

The binding venID -> fingerprint is made at registration (registration_svc stores the fingerprint of the
certificate that registered, or the one the operator provisioned) and read here from the VEN directory, or,
as in OpenLEADR, from a `fingerprint_lookup(ven_id)` or `ven_lookup(ven_id)` handler. Bindings found are
cached (a poll is then one dict look-up) until a `VenChanged` notice for the VEN or a TTL; "not bound" is
never cached, so a VEN that has just registered is never refused on a stale answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import asyncpg

from shared.oadr.messages import VenMessage
from shared.oadr.registration import CreatePartyRegistration
from shared.plugins import call_handler
from shared.ven_identity import not_bound


class FingerprintSource(Protocol):
    async def fingerprint_of(self, ven_id: str) -> str | None: ...


@dataclass(frozen=True)
class ClaimRefused:
    reason: str


def check_claim(message: VenMessage, fingerprint: str, bound: str | None) -> ClaimRefused | None:
    """Whether a message from the certificate `fingerprint` may speak for its venID (bound to `bound`).

    A message without a venID is left to the service that owns what it names (shared.ven_identity). The
    answer is the same whether the venID is another certificate's or nobody's, so it reveals neither."""
    ven_id = getattr(message, "ven_id", None)
    if ven_id is None or bound == fingerprint:
        return None
    if bound is None and isinstance(message, CreatePartyRegistration):
        return None  # registration binds it; registration_svc refuses one bound elsewhere
    return ClaimRefused(not_bound(ven_id).description)


class DirectoryFingerprints:
    """The fingerprint registration_svc bound to a venID, from the `vens` table."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def fingerprint_of(self, ven_id: str) -> str | None:
        async with self._pool.acquire() as conn:
            value = await conn.fetchval("SELECT fingerprint FROM vens WHERE ven_id = $1", ven_id)
        return str(value) if value is not None else None


class HandlerFingerprints:
    """OpenLEADR's `fingerprint_lookup(ven_id) -> fingerprint` or `ven_lookup(ven_id) -> {"fingerprint": ...}`."""

    def __init__(self, fingerprint_lookup: Callable[..., Any] | None, ven_lookup: Callable[..., Any] | None) -> None:
        if fingerprint_lookup is None and ven_lookup is None:
            raise ValueError("give fingerprint_lookup or ven_lookup")
        self._fingerprint_lookup = fingerprint_lookup
        self._ven_lookup = ven_lookup

    async def fingerprint_of(self, ven_id: str) -> str | None:
        if self._fingerprint_lookup is not None:
            found = await call_handler(self._fingerprint_lookup, ven_id)
            return str(found) if found else None
        assert self._ven_lookup is not None
        info = await call_handler(self._ven_lookup, ven_id)
        value = info.get("fingerprint") if isinstance(info, dict) else None
        return str(value) if value else None


class CachedFingerprints:
    def __init__(self, source: FingerprintSource, ttl_seconds: float, max_entries: int = 1_000_000) -> None:
        self._source = source
        self._ttl = ttl_seconds
        self._max_entries = max_entries
        self._bound: dict[str, tuple[str, float]] = {}
        self._epoch = 0
        self._invalidated_at: dict[str, int] = {}

    async def fingerprint_of(self, ven_id: str) -> str | None:
        entry = self._bound.get(ven_id)
        if entry is not None and entry[1] > time.monotonic():
            return entry[0]
        ticket = self._epoch
        found = await self._source.fingerprint_of(ven_id)
        if found is not None and self._invalidated_at.get(ven_id, -1) <= ticket:
            if len(self._bound) >= self._max_entries:
                self._bound.pop(next(iter(self._bound)))
            self._bound[ven_id] = (found, time.monotonic() + self._ttl)
        return found

    def invalidate(self, ven_id: str) -> None:
        self._epoch += 1
        self._invalidated_at[ven_id] = self._epoch
        self._bound.pop(ven_id, None)
        if len(self._invalidated_at) > 100_000:
            self._invalidated_at = {v: e for v, e in self._invalidated_at.items() if e > self._epoch - 50_000}
