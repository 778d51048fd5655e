"""Production refuses an admin token that guards nothing: a known placeholder, a short or a one-character token."""

from __future__ import annotations

import secrets

import pytest
from pydantic import ValidationError

from shared.settings import (
    DEVELOPMENT_ADMIN_TOKEN,
    MIN_PRODUCTION_ADMIN_TOKEN_LENGTH,
    PLACEHOLDER_ADMIN_TOKENS,
    Environment,
    VtnSettings,
)


def _production(token: str) -> VtnSettings:
    return VtnSettings(environment=Environment.PRODUCTION, admin_token=token)


@pytest.mark.parametrize("token", sorted(PLACEHOLDER_ADMIN_TOKENS))
def test_production_refuses_every_known_placeholder(token: str) -> None:
    with pytest.raises(ValidationError, match="placeholder"):
        _production(token)


def test_the_old_example_placeholder_is_refused_although_it_is_32_characters_long() -> None:
    placeholder = "replace-with-a-long-random-token"
    assert len(placeholder) == MIN_PRODUCTION_ADMIN_TOKEN_LENGTH
    with pytest.raises(ValidationError, match="placeholder"):
        _production(placeholder)
    with pytest.raises(ValidationError, match="placeholder"):
        _production(placeholder.upper())


def test_production_refuses_a_token_shorter_than_32_characters() -> None:
    with pytest.raises(ValidationError, match="shorter than 32"):
        _production(secrets.token_hex(15) + "a")  # 31 random characters


def test_production_refuses_a_token_of_one_repeated_character() -> None:
    with pytest.raises(ValidationError, match="single character"):
        _production("x" * 64)


def test_production_accepts_a_random_token_of_32_characters() -> None:
    token = secrets.token_hex(16)
    assert _production(token).admin_token == token


def test_development_keeps_its_default_token() -> None:
    assert VtnSettings().admin_token == DEVELOPMENT_ADMIN_TOKEN
