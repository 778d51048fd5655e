"""Roles and what each may do; the principal (who is asking) of a request. Pure.

viewer    reads everything: fleet, VENs, events, reports, the audit trail
operator  also changes: events, memberships, report requests, registrations
admin     also manages operators; only the bootstrap credential VTN_ADMIN_TOKEN is admin
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Literal

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
BOOTSTRAP_ADMIN_NAME = "admin"


class Role(str, Enum):
    VIEWER = "viewer"
    OPERATOR = "operator"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    def allows(self, needed: Role) -> bool:
        return self.rank >= needed.rank


_RANKS = {Role.VIEWER: 0, Role.OPERATOR: 1, Role.ADMIN: 2}
# The roles an admin can give a named operator (admin stays the bootstrap credential's).
GRANTABLE_ROLES = (Role.VIEWER, Role.OPERATOR)


def role_for_method(method: str) -> Role:
    """Reading needs a viewer; any change an operator."""
    return Role.VIEWER if method.upper() in SAFE_METHODS else Role.OPERATOR


@dataclass(frozen=True)
class Principal:
    """Who a request acts for. `session_csrf` is set for a session (cookie) and checked on every change."""

    name: str
    role: Role
    via: Literal["token", "session"]
    operator_id: str | None = None
    session_csrf: str | None = None
