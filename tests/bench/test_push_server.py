"""The benchmarks' push VENs (bench.loadgen.push_server): a fleet spread over several loopback hosts, each VEN
reachable at its own host's address and answering there, as a fleet of devices is met by the pusher."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import pytest

from bench.loadgen.push_server import PushVenServer, loopback_hosts


def test_loopback_hosts_count_from_127_0_0_1_across_octets() -> None:
    assert loopback_hosts(1) == ["127.0.0.1"]
    hosts = loopback_hosts(300)
    assert hosts[:2] == ["127.0.0.1", "127.0.0.2"] and hosts[254] == "127.0.0.255" and hosts[255] == "127.0.1.0"
    assert len(set(hosts)) == 300
    with pytest.raises(ValueError):
        loopback_hosts(0)


async def _post(url: str, body: bytes) -> bytes:
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    head = f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Length: {len(body)}\r\n\r\n"
    writer.write(head.encode() + body)
    await writer.drain()
    data = await asyncio.wait_for(reader.read(65536), 5)
    writer.close()
    return data


async def test_vens_are_spread_over_the_hosts_and_each_answers_at_its_own_address() -> None:
    server = PushVenServer(hosts=3)
    await server.start()
    try:
        addresses = [server.address_of(f"ven-{n}") for n in range(6)]
        hosts = [urlsplit(address).hostname for address in addresses]
        assert hosts == ["127.0.0.1", "127.0.0.2", "127.0.0.3"] * 2
        assert len({urlsplit(address).port for address in addresses}) == 1
        response = b'<oadrPayload xmlns="http://openadr.org/oadr-2.0b/2012/07"><oadrSignedObject/></oadrPayload>'
        for n, address in enumerate(addresses):
            server.endpoint(f"ven-{n}").ven_id = f"id-{n}"
            answer = await _post(f"{address}/OpenADR2/Simple/2.0b/EiEvent", response)
            assert answer.startswith(b"HTTP/1.1 200")
            assert len(server.endpoints[f"ven-{n}"].received) == 1
    finally:
        await server.stop()
