"""Cached answers to oadrPoll, per VEN, for the overwhelmingly common "nothing pending" case, and for a
VEN's only pending message when a notice offers it as a handout (shared.db.pending's fast path).

A 2.0a VEN has no oadrPoll: it pulls with oadrRequestEvent, whose answer is its whole event set. Its entry
holds that set as a `SetAnswer` (answering any of its oadrRequestEvents), and a handout for it is its new set,
which stays its answer once handed out. An entry answers only requests of its own kind: a 2.0b poll never
gets a 2.0a VEN's set, nor the reverse.

A service marks an answer cacheable; every gateway instance drops a VEN's entry when a `VenChanged`
notice for it arrives. An answer whose request was sent before the latest notice for that VEN is not
stored (the notice may describe a change the answer did not see). That holds for an answer that came after
the reply timeout too: stored, it spares the service the VEN's next polls, which a service running behind
needs most. The marks of past notices are kept for a while only: an answer older than the marks kept is not
stored. Entries also expire after a TTL, a bound on staleness should a notice ever be lost.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from shared.oadr_xml.profile_a.set_answers import SetAnswer

Content = bytes | SetAnswer  # a 2.0b poll answer, or a 2.0a VEN's set


@dataclass(frozen=True, slots=True)
class CachedAnswer:
    content: Content
    success: bool
    expires_at: float
    handout_id: int | None = None  # a pending message offered by a VenChanged notice (shared.db.pending)

    @property
    def body(self) -> bytes:
        assert isinstance(self.content, bytes), "a 2.0a set is answered per request (SetAnswer.answering)"
        return self.content


class PollAnswerCache:
    def __init__(self, ttl_seconds: float, max_entries: int) -> None:
        self._ttl = ttl_seconds
        self._max_entries = max_entries
        self._entries: dict[str, CachedAnswer] = {}
        # Per VEN, the newest pending message id it was given: an offer of that one or an older one is late.
        self._delivered_up_to: dict[str, int] = {}
        self._invalidated_at: dict[str, int] = {}
        self._epoch = 0
        self._marks_kept_after = 0  # invalidation marks at or before this epoch were forgotten
        self.hits = 0
        self.misses = 0
        # Other per-VEN caches that a VenChanged notice must clear too (the venID -> fingerprint bindings).
        self.also_invalidate: list[Callable[[str], None]] = []

    def lookup(self, ven_id: str) -> CachedAnswer | None:
        """The VEN's cached answer to an oadrPoll (2.0b), if any."""
        return self._lookup(ven_id, bytes)

    def lookup_set(self, ven_id: str) -> CachedAnswer | None:
        """The VEN's cached answer to an oadrRequestEvent of a 2.0a VEN (its set, a `SetAnswer`), if any."""
        return self._lookup(ven_id, SetAnswer)

    def _lookup(self, ven_id: str, kind: type) -> CachedAnswer | None:
        entry = self._entries.get(ven_id)
        if entry is not None and entry.expires_at < time.monotonic():
            del self._entries[ven_id]
            entry = None
        if entry is None or not isinstance(entry.content, kind):
            self.misses += 1
            return None
        self.hits += 1
        return entry

    def ticket(self) -> int:
        """Taken before asking the service; `store` refuses answers older than a later invalidation."""
        return self._epoch

    def store(self, ven_id: str, content: Content, success: bool, ticket: int) -> bool:
        if ticket < self._marks_kept_after or self._invalidated_at.get(ven_id, -1) > ticket:
            return False
        self._put(ven_id, CachedAnswer(content, success, time.monotonic() + self._ttl))
        return True

    def _put(self, ven_id: str, entry: CachedAnswer) -> None:
        if ven_id not in self._entries and len(self._entries) >= self._max_entries:
            self._entries.pop(next(iter(self._entries)))
        self._entries[ven_id] = entry

    def offer_handout(self, ven_id: str, content: Content, pending_id: int) -> None:
        """A notice offers the VEN's only pending message: drop what was cached and answer with it, unless
        this gateway already gave the VEN that message (a poll forwarded before the notice arrived). Only the
        poll answer is concerned: the VEN's registration did not change, so other caches keep their entries.
        An offer of a message older than the handout cached is late (the newer one replaced it) and ignored."""
        cached = self._entries.get(ven_id)
        if cached is not None and cached.handout_id is not None and cached.handout_id > pending_id:
            return
        self._forget(ven_id)
        if self._delivered_up_to.get(ven_id, -1) < pending_id:
            self._put(ven_id, CachedAnswer(content, True, time.monotonic() + self._ttl, pending_id))

    def note_delivered(self, ven_id: str, pending_id: int) -> None:
        """A service's reply gave the VEN pending message `pending_id`: an offer of it (or of an older one)
        that arrived while the service was answering is withdrawn."""
        self._mark_delivered(ven_id, pending_id)
        entry = self._entries.get(ven_id)
        if entry is not None and entry.handout_id is not None and entry.handout_id <= pending_id:
            del self._entries[ven_id]

    def settle_handout(self, ven_id: str, pending_id: int, then: Content) -> None:
        """The handout was given to the VEN: its queue is empty as of the latest notice, so later requests get
        `then` (a poll: nothing pending; a 2.0a pull: the same set), unless a newer notice has replaced the entry
        meanwhile."""
        self._mark_delivered(ven_id, pending_id)
        entry = self._entries.get(ven_id)
        if entry is not None and entry.handout_id == pending_id:
            self._entries[ven_id] = CachedAnswer(then, True, entry.expires_at)

    def _mark_delivered(self, ven_id: str, pending_id: int) -> None:
        if self._delivered_up_to.get(ven_id, -1) < pending_id:
            if ven_id not in self._delivered_up_to and len(self._delivered_up_to) >= self._max_entries:
                self._delivered_up_to.pop(next(iter(self._delivered_up_to)))
            self._delivered_up_to[ven_id] = pending_id

    def invalidate(self, ven_id: str) -> None:
        self._forget(ven_id)
        for invalidate in self.also_invalidate:
            invalidate(ven_id)

    def _forget(self, ven_id: str) -> None:
        self._epoch += 1
        self._invalidated_at[ven_id] = self._epoch
        self._entries.pop(ven_id, None)

    def forget_invalidations_before(self, ticket: int) -> None:
        """Drop invalidation marks up to `ticket` (called periodically); answers to requests sent before then are
        no longer stored, since the marks that could refuse them are gone."""
        self._marks_kept_after = max(self._marks_kept_after, ticket)
        self._invalidated_at = {v: e for v, e in self._invalidated_at.items() if e > ticket}

    def __len__(self) -> int:
        return len(self._entries)
