"""An in-memory operator store, so that credentials, sessions and role checks are tested without PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from gateway.console.operator_store import OperatorRow, OperatorStore, SessionRow
from gateway.console.roles import Role


@dataclass
class MemoryOperatorStore(OperatorStore):
    operators: dict[str, OperatorRow] = field(default_factory=dict)
    disabled: set[str] = field(default_factory=set)
    sessions: dict[bytes, SessionRow] = field(default_factory=dict)
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __post_init__(self) -> None:
        super().__init__(pool=None)  # type: ignore[arg-type]

    async def active_operator(self, operator_id: str) -> OperatorRow | None:
        return None if operator_id in self.disabled else self.operators.get(operator_id)

    async def active_operators(self) -> list[OperatorRow]:
        return sorted((o for i, o in self.operators.items() if i not in self.disabled), key=lambda o: o.name)

    async def add_operator(self, operator_id: str, name: str, role: Role, token_hash: str, created_by: str) -> bool:
        if any(o.name == name for o in await self.active_operators()):
            return False
        self.operators[operator_id] = OperatorRow(operator_id, name, role, token_hash, self.now, created_by)
        return True

    async def disable_operator(self, name: str) -> bool:
        for operator in await self.active_operators():
            if operator.name == name:
                self.disabled.add(operator.operator_id)
                self.sessions = {k: s for k, s in self.sessions.items() if s.operator_id != operator.operator_id}
                return True
        return False

    async def open_session(
        self, session_hash: bytes, operator_id: str | None, name: str, role: Role, csrf_token: str, max_seconds: float
    ) -> None:
        self.sessions[session_hash] = SessionRow(
            operator_id, name, role, csrf_token, self.now, self.now + timedelta(seconds=max_seconds)
        )

    async def live_session(self, session_hash: bytes, idle_seconds: float) -> SessionRow | None:
        row = self.sessions.get(session_hash)
        if row is None or row.expires_at <= self.now or row.last_used_at <= self.now - timedelta(seconds=idle_seconds):
            return None
        return row

    async def close_session(self, session_hash: bytes) -> None:
        self.sessions.pop(session_hash, None)
