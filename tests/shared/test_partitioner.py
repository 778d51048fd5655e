"""Remembering key hashes changes nothing: every key lands where aiokafka's default partitioner puts it."""

from __future__ import annotations

from aiokafka.partitioner import DefaultPartitioner

from shared.bus.partitioner import partition_for


def test_keys_land_where_the_default_partitioner_puts_them() -> None:
    for partitions in ([0, 1, 2, 3], list(range(12)), [0]):
        for index in range(2000):
            key = f"ven-{index}".encode()
            expected = DefaultPartitioner()(key, partitions, partitions)
            assert partition_for(key, partitions, partitions) == expected
            assert partition_for(key, partitions, partitions) == expected  # remembered


def test_a_record_without_a_key_goes_to_an_available_partition() -> None:
    assert {partition_for(None, [0, 1, 2, 3], [2]) for _ in range(20)} == {2}
