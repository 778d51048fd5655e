"""Splitting a consumer's fetch into runs that a batch handler and the per-record path can share, keeping
each key's (each VEN's) records in the order they were produced.

A segment holds records for the batch handler and records for the per-record path, with no key on both
sides, so the two sides may run at the same time; segments run one after the other. A record whose key
already has a record on the other side of the current segment starts the next segment.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

Item = TypeVar("Item")


@dataclass
class Segment(Generic[Item]):
    batched: list[Item] = field(default_factory=list)
    one_by_one: list[Item] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.batched or self.one_by_one)


def segments(
    items: Sequence[Item], key: Callable[[Item], Hashable], batchable: Callable[[Item], bool]
) -> list[Segment[Item]]:
    """The items, in order, cut into as few segments as per-key order allows."""
    done: list[Segment[Item]] = []
    current: Segment[Item] = Segment()
    batched_keys: set[Hashable] = set()
    other_keys: set[Hashable] = set()
    for item in items:
        item_key, to_batch = key(item), batchable(item)
        if item_key in (other_keys if to_batch else batched_keys):
            done.append(current)
            current = Segment()
            batched_keys.clear()
            other_keys.clear()
        (current.batched if to_batch else current.one_by_one).append(item)
        (batched_keys if to_batch else other_keys).add(item_key)
    if current:
        done.append(current)
    return done
