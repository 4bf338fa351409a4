"""Customers' phone numbers (contract 1.1): E.164 only, refused before
anything is stored, and handed to the backend in the customer's snapshot."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from payproc.db import Profile
from payproc.errors import InvalidInput
from payproc.phone import normalize_phone


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("+919876543210", "+919876543210"), ("+1 (415) 555-0100", "+14155550100"), (" +44 20.7946.0958 ", "+442079460958")],
)
def test_phone_numbers_are_kept_in_e164_form(typed, stored):
    assert normalize_phone(typed) == stored


@pytest.mark.parametrize("bad", ["9876543210", "+0919876543210", "+91 98765 4321x", "+1234567", "+1234567890123456", "", 919876543210])
def test_a_number_that_is_not_e164_is_refused_with_the_form_it_needs(bad):
    with pytest.raises(InvalidInput, match="E.164"):
        normalize_phone(bad)


def test_the_customer_snapshot_carries_the_phone(app):
    party = app.add_profile("asha", "Asha Rao", "asha@example.com", phone="+91 98765 43210")
    assert party.phone == "+919876543210"
    assert app.party("asha").phone == "+919876543210"
    assert app.set_phone("asha", None).phone is None
    assert app.party("asha").phone is None


def test_a_bad_phone_changes_nothing(app):
    app.add_profile("asha", "Asha Rao", phone="+919876543210")
    with app.db.transaction() as session:
        before = session.scalar(select(func.count()).select_from(Profile))
    with pytest.raises(InvalidInput):
        app.add_profile("ravi", "Ravi", phone="98765")
    with pytest.raises(InvalidInput):
        app.set_phone("asha", "not a phone")
    with app.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Profile)) == before
    assert app.party("asha").phone == "+919876543210"


def test_setting_the_phone_of_an_unknown_profile_is_a_lookup_error(app):
    with pytest.raises(LookupError, match="nobody"):
        app.set_phone("nobody", "+919876543210")
