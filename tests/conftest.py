"""Repository-wide test configuration.

Kept to the standard library and pytest: every nox session loads it, including
those that install only the core and one plugin.
"""

from __future__ import annotations

import os

import pytest

POSTGRES_URL_VARIABLE = "PAYPROC_TEST_POSTGRES_URL"


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The DSN of a PostgreSQL database the tests may empty and fill
    (e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/test``).

    Unset, the test is skipped on a developer's machine, but fails in CI
    (``CI`` set): CI must run the PostgreSQL tests, never skip them silently.
    """
    url = os.environ.get(POSTGRES_URL_VARIABLE, "").strip()
    if not url:
        if os.environ.get("CI", "").lower() not in ("", "0", "false", "no"):
            pytest.fail(f"{POSTGRES_URL_VARIABLE} is not set in CI: the PostgreSQL tests must run there")
        pytest.skip(f"{POSTGRES_URL_VARIABLE} is not set (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)")
    return url
