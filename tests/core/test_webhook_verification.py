"""A backend declares how its webhooks are verified (contract 1.1)."""

from __future__ import annotations

import pytest

from payproc.backend import webhook_verification
from payproc.errors import ConfigurationError
from payproc.types import WebhookVerification


class Signed:
    pass


class Fetched:
    webhook_verification = "fetch"


class Misspelt:
    webhook_verification = "fetched"


def test_a_backend_that_says_nothing_is_signed_and_fails_closed():
    assert webhook_verification(Signed) is WebhookVerification.SIGNED


def test_a_backend_may_declare_fetch_verification():
    assert webhook_verification(Fetched) is WebhookVerification.FETCH


def test_an_unknown_declaration_names_the_choices():
    with pytest.raises(ConfigurationError, match="'signed', 'fetch'"):
        webhook_verification(Misspelt)


def test_the_loaded_backend_reports_its_declaration(app):
    assert app.backend.webhook_verification is WebhookVerification.SIGNED
