"""The interop tests run against the same real stack as the integration tests."""

from tests.integration.conftest import admin, db, http, unique, vtn, vtn_env  # noqa: F401  (shared fixtures)
