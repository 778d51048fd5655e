"""Kafka's default partitioning of keyed records (murmur2 of the key, as the Java client and aiokafka do),
with each key's hash remembered: aiokafka computes murmur2 in pure Python for every record, which was a
twentieth of report_svc's CPU when publishing report data, and the same few thousand VEN ids recur."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from aiokafka.partitioner import DefaultPartitioner, murmur2

KEYS_REMEMBERED = 1 << 17


@lru_cache(maxsize=KEYS_REMEMBERED)
def key_hash(key: bytes) -> int:
    return int(murmur2(key)) & 0x7FFFFFFF


def partition_for(key: bytes | None, all_partitions: Sequence[int], available: Sequence[int]) -> int:
    """The partition aiokafka's DefaultPartitioner picks (records without a key: a random one)."""
    if key is None:
        return int(DefaultPartitioner()(key, all_partitions, available))
    return all_partitions[key_hash(key) % len(all_partitions)]
