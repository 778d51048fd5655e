from gateway.poll_answers import PollAnswerCache


def test_stored_answer_is_served_until_invalidated() -> None:
    cache = PollAnswerCache(ttl_seconds=60, max_entries=10)
    assert cache.lookup("ven") is None
    assert cache.store("ven", b"empty", True, cache.ticket())
    hit = cache.lookup("ven")
    assert hit is not None and hit.body == b"empty" and hit.success
    cache.invalidate("ven")
    assert cache.lookup("ven") is None


def test_answer_requested_before_an_invalidation_is_not_stored() -> None:
    """The race the tickets exist for: the notice overtakes the reply that did not see the change."""
    cache = PollAnswerCache(ttl_seconds=60, max_entries=10)
    ticket = cache.ticket()
    cache.invalidate("ven")  # a message was queued while the poll was in flight
    assert not cache.store("ven", b"empty", True, ticket)
    assert cache.lookup("ven") is None


def test_invalidation_of_another_ven_does_not_block_storing() -> None:
    cache = PollAnswerCache(ttl_seconds=60, max_entries=10)
    ticket = cache.ticket()
    cache.invalidate("other")
    assert cache.store("ven", b"empty", True, ticket)


def test_answer_requested_after_an_invalidation_is_stored() -> None:
    cache = PollAnswerCache(ttl_seconds=60, max_entries=10)
    cache.invalidate("ven")
    assert cache.store("ven", b"empty", True, cache.ticket())


def test_entries_expire() -> None:
    cache = PollAnswerCache(ttl_seconds=-1, max_entries=10)
    cache.store("ven", b"empty", True, cache.ticket())
    assert cache.lookup("ven") is None


def test_size_is_bounded_by_evicting_the_oldest() -> None:
    cache = PollAnswerCache(ttl_seconds=60, max_entries=2)
    for ven in ("a", "b", "c"):
        cache.store(ven, b"x", True, cache.ticket())
    assert len(cache) == 2
    assert cache.lookup("a") is None
    assert cache.lookup("c") is not None


def test_forgetting_old_invalidations_keeps_recent_ones() -> None:
    cache = PollAnswerCache(ttl_seconds=60, max_entries=10)
    cache.invalidate("old")
    ticket = cache.ticket()
    in_flight = cache.ticket()
    cache.invalidate("recent")
    cache.forget_invalidations_before(ticket)
    assert not cache.store("recent", b"x", True, in_flight)
    assert cache.store("old", b"x", True, in_flight)


def test_an_answer_older_than_the_marks_kept_is_not_stored() -> None:
    """A reply late enough that the notices it might have missed are forgotten may describe a changed VEN."""
    cache = PollAnswerCache(ttl_seconds=60, max_entries=10)
    long_ago = cache.ticket()
    cache.invalidate("ven")
    cache.forget_invalidations_before(cache.ticket())
    assert not cache.store("ven", b"x", True, long_ago)
    assert not cache.store("other", b"x", True, long_ago)
    assert cache.store("ven", b"x", True, cache.ticket())
