"""Cached answers to oadrPoll, per VEN, for the overwhelmingly common "nothing pending" case.

A service marks an answer cacheable; every gateway instance drops a VEN's entry when a `VenChanged`
notice for it arrives. An answer whose request was sent before the latest notice for that VEN is not
stored (the notice may describe a change the answer did not see). Entries also expire after a TTL, a
bound on staleness should a notice ever be lost.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CachedAnswer:
    body: bytes
    success: bool
    expires_at: float


class PollAnswerCache:
    def __init__(self, ttl_seconds: float, max_entries: int) -> None:
        self._ttl = ttl_seconds
        self._max_entries = max_entries
        self._entries: dict[str, CachedAnswer] = {}
        self._invalidated_at: dict[str, int] = {}
        self._epoch = 0
        self.hits = 0
        self.misses = 0
        # Other per-VEN caches that a VenChanged notice must clear too (the venID -> fingerprint bindings).
        self.also_invalidate: list[Callable[[str], None]] = []

    def lookup(self, ven_id: str) -> CachedAnswer | None:
        entry = self._entries.get(ven_id)
        if entry is None:
            self.misses += 1
            return None
        if entry.expires_at < time.monotonic():
            del self._entries[ven_id]
            self.misses += 1
            return None
        self.hits += 1
        return entry

    def ticket(self) -> int:
        """Taken before asking the service; `store` refuses answers older than a later invalidation."""
        return self._epoch

    def store(self, ven_id: str, body: bytes, success: bool, ticket: int) -> bool:
        if self._invalidated_at.get(ven_id, -1) > ticket:
            return False
        if len(self._entries) >= self._max_entries:
            self._entries.pop(next(iter(self._entries)))
        self._entries[ven_id] = CachedAnswer(body, success, time.monotonic() + self._ttl)
        return True

    def invalidate(self, ven_id: str) -> None:
        self._epoch += 1
        self._invalidated_at[ven_id] = self._epoch
        self._entries.pop(ven_id, None)
        for invalidate in self.also_invalidate:
            invalidate(ven_id)

    def forget_invalidations_before(self, ticket: int) -> None:
        """Drop invalidation marks no in-flight request can still need (called periodically)."""
        self._invalidated_at = {v: e for v, e in self._invalidated_at.items() if e > ticket}

    def __len__(self) -> int:
        return len(self._entries)
