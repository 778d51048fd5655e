"""Who may do what: viewers read, operators also change, the bootstrap admin also manages operators."""

from __future__ import annotations

from gateway.console.roles import GRANTABLE_ROLES, Role, role_for_method


def test_reading_needs_a_viewer_and_any_change_an_operator() -> None:
    assert [role_for_method(m) for m in ("GET", "head", "OPTIONS")] == [Role.VIEWER] * 3
    assert [role_for_method(m) for m in ("POST", "PUT", "PATCH", "DELETE")] == [Role.OPERATOR] * 4


def test_roles_are_ordered_viewer_operator_admin() -> None:
    assert Role.ADMIN.allows(Role.OPERATOR) and Role.OPERATOR.allows(Role.VIEWER)
    assert not Role.VIEWER.allows(Role.OPERATOR)
    assert not Role.OPERATOR.allows(Role.ADMIN)


def test_a_named_operator_is_never_made_admin() -> None:
    assert Role.ADMIN not in GRANTABLE_ROLES
