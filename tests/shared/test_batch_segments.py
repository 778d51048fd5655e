"""Cutting a fetch into segments for a batch handler and the per-record path: every key keeps its order,
and no segment has one key on both sides (the two sides of a segment run at the same time)."""

from __future__ import annotations

from shared.bus.batch_segments import segments

# (key, batchable, label)
Item = tuple[str, bool, str]


def _cut(items: list[Item]) -> list[tuple[list[str], list[str]]]:
    return [
        ([label for _, _, label in s.batched], [label for _, _, label in s.one_by_one])
        for s in segments(items, key=lambda item: item[0], batchable=lambda item: item[1])
    ]


def test_a_fetch_of_batchable_records_is_one_batch() -> None:
    items = [("a", True, "a1"), ("b", True, "b1"), ("a", True, "a2")]
    assert _cut(items) == [(["a1", "b1", "a2"], [])]


def test_other_keys_share_a_segment_with_the_batch() -> None:
    items = [("a", True, "a1"), ("b", False, "b1"), ("c", True, "c1"), ("b", False, "b2")]
    assert _cut(items) == [(["a1", "c1"], ["b1", "b2"])]


def test_a_key_switching_sides_starts_a_new_segment_in_order() -> None:
    items = [("a", True, "a1"), ("a", False, "a2"), ("b", True, "b1"), ("a", True, "a3")]
    assert _cut(items) == [(["a1"], []), (["b1"], ["a2"]), (["a3"], [])]


def test_nothing_gives_no_segment() -> None:
    assert _cut([]) == []


def test_every_item_is_kept_once_and_each_key_in_order() -> None:
    items: list[Item] = [(k, (i * 7 + len(k)) % 3 != 0, f"{k}{i}") for i in range(40) for k in ("a", "b", "c")[i % 3 :]]
    cut = segments(items, key=lambda item: item[0], batchable=lambda item: item[1])
    flattened = [item for s in cut for item in (*s.batched, *s.one_by_one)]
    assert sorted(flattened) == sorted(items)
    for key in ("a", "b", "c"):
        order_in_segments = [item[2] for s in cut for item in (*s.batched, *s.one_by_one) if item[0] == key]
        assert order_in_segments == [item[2] for item in items if item[0] == key]
    for s in cut:
        assert not {i[0] for i in s.batched} & {i[0] for i in s.one_by_one}
