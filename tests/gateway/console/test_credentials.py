"""Access tokens and their stored form: the database holds a salted scrypt hash, never a usable credential."""

from __future__ import annotations

from gateway.console import credentials


def test_an_issued_token_matches_its_hash_and_names_its_operator() -> None:
    issued = credentials.issue_token()
    parsed = credentials.parse_token(issued.token)
    assert parsed is not None
    operator_id, secret = parsed
    assert operator_id == issued.operator_id
    assert credentials.secret_matches(secret, issued.token_hash)


def test_the_stored_hash_is_salted_scrypt_and_holds_no_secret() -> None:
    issued = credentials.issue_token()
    _, secret = credentials.parse_token(issued.token) or ("", "")
    assert issued.token_hash.startswith("scrypt$16384$8$1$")
    assert secret not in issued.token_hash
    assert credentials.hash_secret(secret) != credentials.hash_secret(secret)  # a new salt each time


def test_a_wrong_secret_or_a_damaged_hash_does_not_match() -> None:
    issued = credentials.issue_token()
    assert not credentials.secret_matches("not-the-secret", issued.token_hash)
    assert not credentials.secret_matches("anything", "scrypt$broken")
    assert not credentials.secret_matches("anything", "bcrypt$1$2$3$4$5")


def test_only_well_formed_operator_tokens_parse() -> None:
    for token in ("", "vtnop", "vtnop..x", "vtnop.id.", "other.id.secret", "vtnop.a.b.c", "vtnop.id." + "x" * 300):
        assert credentials.parse_token(token) is None
    assert credentials.parse_token("vtnop.id.secret") == ("id", "secret")


def test_sessions_are_stored_by_hash_and_compared_in_constant_time() -> None:
    session = credentials.new_session_id()
    assert credentials.session_hash(session) != session.encode()
    assert len(credentials.session_hash(session)) == 32
    assert credentials.same_secret("abc", "abc")
    assert not credentials.same_secret(None, "abc")
    assert not credentials.same_secret("abd", "abc")
