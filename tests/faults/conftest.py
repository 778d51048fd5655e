"""The fault suite's own stack and fleet, for this folder only (package scope): faults are injected into a
VTN that no other test uses, and that is gone before tests/integration starts its session stack."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.faults.fleet import Fleet
from tests.faults.stack import ADMIN_TOKEN, FaultStack

FLEET_SIZE = 24
POLL_EVERY_SECONDS = 1.0
REPORT_EVERY_SECONDS = 2.0


@pytest.fixture(scope="package")
async def fault_stack() -> AsyncIterator[FaultStack]:
    stack = FaultStack()
    try:
        await asyncio.to_thread(stack.start)
        yield stack
    finally:
        await asyncio.to_thread(stack.stop)


@pytest.fixture(scope="module")
async def admin(fault_stack: FaultStack) -> AsyncIterator[httpx.AsyncClient]:
    """The fault stack's admin API, as the operator's DR system uses it."""
    client = httpx.AsyncClient(
        base_url=fault_stack.admin_url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=15
    )
    yield client
    await client.aclose()


@pytest.fixture(scope="package")
async def fleet(fault_stack: FaultStack) -> AsyncIterator[Fleet]:
    """Registered VENs, polling, answering and reporting from now until the folder's last test."""
    vens = Fleet(fault_stack.url, FLEET_SIZE + 1)  # the last one is the probe: it never gets events
    try:
        await vens.register()
        vens.start(POLL_EVERY_SECONDS, REPORT_EVERY_SECONDS)
        yield vens
    finally:
        await vens.stop()
