"""End to end in a real browser: Playwright drives Debian's Chromium
(``/usr/bin/chromium``, installed by ``.ci/browser-deps``; Playwright's own
browser downloads are never used) against the app served on loopback.

The page loads the payment context, the fake processor's script turns the
test card into a token in the browser, the page posts the token and shows
the receipt; the database is read directly to check what was recorded.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from webbrowsing import Page, charges


@pytest.fixture
def tab(browser, site) -> Iterator[Page]:  # type: ignore[no-untyped-def]
    page = Page(browser, site)
    yield page
    page.close()


def test_pay_with_the_test_card_and_see_the_receipt(tab, payproc_app):
    assert "token is posted as \"stripeToken\"" in tab.text("#backend-info")
    tab.pay()
    assert tab.text("#pay-status") == "Paid 20.00 USD."
    assert tab.text("#r-state") == "done"
    assert tab.text("#r-amount") == "20.00 USD"
    assert tab.text("#r-card").startswith("visa ending in 4242")
    # The token went under the backend's field name; the card number never left the browser.
    assert [post["stripeToken"] for post in tab.checkout_posts()] == ["tok_visa"]
    assert all("4242" not in body for _url, body in tab.posts)
    assert tab.outside == []
    assert tab.console_errors == [], "no script error, no Content-Security-Policy violation"
    # The server recorded exactly one charge, paid, and the books balance.
    recorded = charges(payproc_app)
    assert [(c.amount, c.currency, c.state) for c in recorded] == [(2000, "usd", "done")]
    assert tab.text("#r-id") == f"#{recorded[0].id}"
    tab.page.wait_for_function("() => Number(document.body.dataset.ledgerRows) > 0")
    assert tab.text("#books") == "The books balance."
    assert payproc_app.check_books().balanced


def test_a_declined_card_shows_the_processors_message(tab, payproc_app):
    tab.pay(card="4000 0000 0000 0002")
    assert tab.text("#pay-error") == "Your card was declined."
    assert tab.page.locator("#pay-error").get_attribute("role") == "alert"
    assert tab.page.locator("#receipt").is_hidden()
    assert [post["stripeToken"] for post in tab.checkout_posts()] == ["tok_decline"]
    assert [c.state for c in charges(payproc_app)] == ["failed"]


def test_refund_from_the_receipt_and_watch_the_ledger(tab, payproc_app):
    tab.pay(amount="12.50")
    tab.page.wait_for_function("() => Number(document.body.dataset.ledgerRows) > 0")
    rows_after_payment = int(tab.page.evaluate("document.body.dataset.ledgerRows"))
    tab.page.get_by_role("button", name="Refund").click()
    tab.page.wait_for_function("() => document.getElementById('refund-status').textContent")
    assert tab.text("#refund-status") == "Refunded 12.50 USD."
    assert tab.text("#r-refunded") == "12.50 USD"
    assert tab.page.locator("#refund-button").is_hidden()
    tab.page.wait_for_function(f"() => Number(document.body.dataset.ledgerRows) > {rows_after_payment}")
    assert tab.text("#books") == "The books balance."
    (charge,) = charges(payproc_app)
    assert (charge.amount, charge.amount_refunded) == (1250, 1250)


def test_a_mistyped_card_is_caught_in_the_browser_and_the_retry_pays_once(tab, payproc_app):
    tab.pay(card="4242 4242 4242 4241")
    assert tab.text("#pay-error") == "Your card number is incorrect."
    assert tab.checkout_posts() == []
    tab.pay(card="4242 4242 4242 4242")
    assert tab.text("#r-state") == "done"
    assert [c.state for c in charges(payproc_app)] == ["done"]


def test_an_unknown_outcome_is_polled_until_settled_never_paid_again(tab, payproc_app):
    tab.page.get_by_text("Developer: post a test token directly").click()
    tab.page.get_by_label("Test token", exact=False).fill("tok_timeout")
    tab.page.get_by_role("button", name="Pay").click()
    tab.page.wait_for_function("() => document.getElementById('pay-status').textContent.includes('do not pay again')")
    assert tab.page.locator("#pay-button").is_disabled(), "Pay must not start a second payment"
    # The page polls the purchase; the poll asks the processor, which made the charge.
    tab.page.wait_for_function("() => document.getElementById('r-state').textContent === 'done'")
    tab.wait_idle()
    assert tab.text("#pay-status") == "Paid 20.00 USD."
    assert [c.state for c in charges(payproc_app)] == ["done"]
    assert len(tab.checkout_posts()) == 1
    assert tab.page.locator("#pay-button").is_disabled()


def processor_charges(app) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    from payproc_fake import processor

    account = processor.get_account(app.backend.settings.ACCOUNT)
    return [(c["amount"], c["status"]) for c in account.list_charges()]


def test_double_click_pays_once_and_a_new_purchase_needs_the_button(tab, payproc_app):
    """The shopper clicks Pay again while the purchase is prepared, again
    while its checkout post is on the way, and once more after it is paid.
    The page's requests are held (``Page.hold``) so that the extra clicks
    land in those states on any machine: clicks 50 ms and 400 ms after the
    first, as this test made them, could land after the answer on a loaded
    machine, as the page moved the focus to the receipt (and scrolled), and
    then Playwright's forced click failed ("Element is outside of the
    viewport")."""
    preparing, paying = tab.hold("**/api/context"), tab.hold("**/api/checkout")
    tab.page.get_by_role("button", name="Pay").click()
    pay = tab.page.locator("#pay-button")
    for held in (preparing, paying):
        request = tab.held(held)
        for _ in range(2):  # a double click, then another
            tab.click_anyway("Pay")
        assert pay.is_disabled() and pay.get_attribute("aria-busy") == "true"
        request.continue_()
    tab.page.wait_for_function("() => document.getElementById('r-state').textContent === 'done'")
    tab.wait_idle()
    tab.click_anyway("Pay")  # paid: the button does nothing
    assert tab.text("#pay-status") == "Paid 20.00 USD."
    assert (len(preparing), len(paying)) == (1, 1), "one prepared purchase, one checkout post"
    assert processor_charges(payproc_app) == [(2000, "succeeded")]
    assert [c.state for c in charges(payproc_app)] == ["done"]
    keys = {post["idempotency_key"] for post in tab.checkout_posts()}
    assert len(keys) == 1, "one purchase, one idempotency key"
    assert pay.is_disabled() and tab.page.locator("#amount").is_disabled()
    # Only an explicit new purchase gets a new key.
    tab.page.unroute("**/api/context")
    tab.page.unroute("**/api/checkout")
    tab.page.get_by_role("button", name="New purchase").click()
    assert tab.page.locator("#receipt").is_hidden()
    tab.pay(amount="5.00")
    assert [(c.amount, c.state) for c in charges(payproc_app)] == [(2000, "done"), (500, "done")]
    assert processor_charges(payproc_app) == [(2000, "succeeded"), (500, "succeeded")]
    assert len({post["idempotency_key"] for post in tab.checkout_posts()}) == 2


def test_a_declined_card_can_be_retried_with_another_card_as_a_new_charge(tab, payproc_app):
    tab.pay(card="4000 0000 0000 0002")
    assert tab.text("#pay-error") == "Your card was declined."
    assert not tab.page.locator("#pay-button").is_disabled()
    tab.pay(card="4242 4242 4242 4242")
    assert tab.text("#r-state") == "done"
    assert [c.state for c in charges(payproc_app)] == ["failed", "done"]


def test_every_control_has_a_label(tab):
    unlabeled = tab.page.evaluate(
        "() => [...document.querySelectorAll('input, select, button')]"
        ".filter(el => !(el.labels && el.labels.length) && !el.textContent.trim()).map(el => el.id)")
    assert unlabeled == []


def _start(tab: Page, card: str) -> None:
    tab.page.get_by_label("Card number").fill(card)
    tab.page.get_by_role("button", name="Pay").click()


def _answer_challenge(tab: Page, code: str) -> None:
    dialog = tab.page.get_by_role("dialog", name="Confirm the payment with your bank")
    dialog.wait_for()
    dialog.get_by_label("Authentication code").fill(code)
    dialog.get_by_role("button", name="Confirm").click()
    tab.wait_idle()


def test_3ds_challenge_in_the_page_pays_once(tab, payproc_app):
    _start(tab, "4000 0027 6000 3184")
    _answer_challenge(tab, "123456")
    assert tab.text("#pay-status") == "Paid 20.00 USD."
    assert tab.text("#r-state") == "done"
    assert [c.state for c in charges(payproc_app)] == ["done"]
    completes = [body for url, body in tab.posts if url.endswith("/api/complete")]
    assert len(completes) == 1 and '"otp":"123456"' in completes[0]
    assert tab.console_errors == []


def test_3ds_challenge_failed_shows_why_and_a_new_card_is_a_new_charge(tab, payproc_app):
    _start(tab, "4000 0027 6000 3184")
    _answer_challenge(tab, "000000")
    assert tab.text("#pay-error") == "The card holder did not complete 3-D Secure authentication."
    assert [c.state for c in charges(payproc_app)] == ["failed"]
    assert not tab.page.locator("#pay-button").is_disabled()
    tab.pay(card="4242 4242 4242 4242")
    assert [c.state for c in charges(payproc_app)] == ["failed", "done"]


def test_3ds_challenge_closed_then_confirmed_pays_once(tab, payproc_app):
    _start(tab, "4000 0027 6000 3184")
    dialog = tab.page.get_by_role("dialog", name="Confirm the payment with your bank")
    dialog.get_by_role("button", name="Cancel").click()
    tab.wait_idle()
    assert tab.text("#pay-error") == "The payment was not confirmed. Press Pay to confirm it."
    assert [c.state for c in charges(payproc_app)] == ["requires_action"]
    assert tab.page.locator("#amount").is_disabled(), "the purchase keeps its amount and key"
    tab.page.get_by_role("button", name="Pay").click()
    _answer_challenge(tab, "123456")
    assert tab.text("#r-state") == "done"
    assert [c.state for c in charges(payproc_app)] == ["done"]
    assert len(tab.checkout_posts()) == 1


def test_3ds_redirect_comes_back_to_the_real_outcome(tab, payproc_app):
    _start(tab, "4000 0000 0000 3220")
    tab.page.wait_for_url("**/backends/fake/challenge.html?**")
    tab.page.get_by_label("Authentication code").fill("123456")
    tab.page.get_by_role("button", name="Confirm").click()
    tab.page.wait_for_url("**/?purchase=*")
    tab.page.wait_for_selector("body[data-ready='true']")
    tab.page.wait_for_function("() => document.getElementById('r-state').textContent === 'done'")
    assert tab.text("#pay-status") == "Paid 20.00 USD."
    assert [c.state for c in charges(payproc_app)] == ["done"]
    assert tab.page.locator("#pay-button").is_disabled()
