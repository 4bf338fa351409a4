"""Shoppers on the checkout page in Chromium, doing what shoppers do: click
again, press Enter, reload mid-payment, go Back, open a second tab, lose the
network. Each case counts the charges at the fake processor (its backdoor)
and checks the books, not only the page's text: one purchase is one
processor charge, whatever the clicks."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from payproc.app import Payproc
from payproc.settings import load_settings
from webbrowsing import CUSTOMER, Page, charges

WEBHOOK_SECRET = "whsec_web_tests_0123456789"


def processor_charges(app: Payproc) -> list[dict[str, Any]]:
    from payproc_fake import processor

    return processor.get_account(app.backend.settings.ACCOUNT).list_charges()  # type: ignore[attr-defined]


def paid_once(app: Payproc) -> None:
    """One charge at the processor, one ``done`` charge in payproc, booked."""
    assert [c["status"] for c in processor_charges(app)] == ["succeeded"]
    assert [c.state for c in charges(app) if c.state != "awaiting"] == ["done"]
    books = app.check_books()
    assert books.balanced and app.balances()


@pytest.fixture
def slow_app(tmp_path) -> Iterator[Payproc]:  # type: ignore[no-untyped-def]
    """A processor that takes 1.5 s a call (``LATENCY_MS``)."""
    from payproc_fake import processor

    app = Payproc(load_settings(DATABASE_URL=f"sqlite:///{tmp_path}/slow.sqlite3", PROCESSOR={
        "BACKEND": "fake", "ACCOUNT": f"acct_slow_{uuid.uuid4().hex[:10]}", "WEBHOOK_SECRET": WEBHOOK_SECRET,
        "LATENCY_MS": 1500}))
    app.init_db()
    app.add_profile(CUSTOMER, "Alice Martin", "alice@example.com")
    yield app
    app.db.dispose()
    processor.reset(app.backend.settings.ACCOUNT)  # type: ignore[attr-defined]


@pytest.fixture
def slow_site(slow_app, serving) -> Iterator[str]:  # type: ignore[no-untyped-def]
    from payproc.web import create_app

    with serving(create_app(slow_app, demo=True, default_customer=CUSTOMER)) as url:
        yield url


@pytest.fixture
def tabs(browser) -> Iterator[list[Page]]:  # type: ignore[no-untyped-def]
    opened: list[Page] = []
    yield opened
    for tab in opened:
        tab.close()


def open_tab(browser: Any, url: str, tabs: list[Page]) -> Page:
    tab = Page(browser, url)
    tabs.append(tab)
    return tab


def wait_state(tab: Page, state: str) -> None:
    tab.page.wait_for_function(f"() => document.getElementById('r-state').textContent === '{state}'",
                               timeout=15_000)


def click_pay_anyway(tab: Page) -> None:
    """The shopper clicks Pay whatever the page shows (a disabled button
    does nothing, as in any browser)."""
    tab.page.get_by_role("button", name="Pay").click(force=True, no_wait_after=True)


def test_enter_in_the_amount_field_while_paying_pays_once(browser, slow_site, slow_app, tabs):
    tab = open_tab(browser, slow_site, tabs)
    amount = tab.page.get_by_label("Amount")
    amount.press("Enter")
    tab.page.wait_for_timeout(200)
    amount.press("Enter", no_wait_after=True)  # the slow processor has not answered yet
    click_pay_anyway(tab)
    wait_state(tab, "done")
    tab.wait_idle()
    paid_once(slow_app)
    assert len(tab.checkout_posts()) == 1


def test_a_reload_before_the_answer_shows_the_purchase_and_never_pays_twice(browser, slow_site, slow_app, tabs):
    tab = open_tab(browser, slow_site, tabs)
    tab.page.get_by_role("button", name="Pay").click()
    tab.page.wait_for_function("() => document.getElementById('pay-status').textContent === 'Paying…'")
    tab.page.reload()  # the answer has not come back
    tab.page.wait_for_selector("body[data-ready='true']")
    wait_state(tab, "done")
    assert tab.text("#pay-status") == "Paid 20.00 USD."
    assert tab.page.locator("#pay-button").is_disabled()
    click_pay_anyway(tab)
    tab.page.wait_for_timeout(300)
    paid_once(slow_app)


def test_a_reload_during_the_challenge_keeps_it_and_pay_confirms_it_once(browser, site, payproc_app, tabs):
    tab = open_tab(browser, site, tabs)
    tab.page.get_by_label("Card number").fill("4000 0027 6000 3184")
    tab.page.get_by_role("button", name="Pay").click()
    tab.page.get_by_role("dialog", name="Confirm the payment with your bank").wait_for()
    tab.page.reload()
    tab.page.wait_for_selector("body[data-ready='true']")
    assert tab.text("#pay-error") == "The payment waits for your confirmation. Press Pay to confirm it."
    assert tab.text("#r-state") == "requires_action" and tab.page.locator("#amount").is_disabled()
    tab.page.get_by_role("button", name="Pay").click()
    dialog = tab.page.get_by_role("dialog", name="Confirm the payment with your bank")
    dialog.wait_for()
    dialog.get_by_label("Authentication code").fill("123456")
    dialog.get_by_role("button", name="Confirm").click()
    wait_state(tab, "done")
    paid_once(payproc_app)
    assert len(tab.checkout_posts()) == 1, "the reloaded page confirmed the same charge, it did not pay again"


def test_back_after_paying_through_a_redirect_shows_the_paid_purchase(browser, site, payproc_app, tabs):
    tab = open_tab(browser, site, tabs)
    tab.page.get_by_label("Card number").fill("4000 0000 0000 3220")
    tab.page.get_by_role("button", name="Pay").click()
    tab.page.wait_for_url("**/backends/fake/challenge.html?**")
    tab.page.get_by_label("Authentication code").fill("123456")
    tab.page.get_by_role("button", name="Confirm").click()
    tab.page.wait_for_url("**/?purchase=*")
    wait_state(tab, "done")
    tab.page.go_back()  # the processor's challenge page again
    tab.page.go_back()  # the checkout page the shopper started from
    tab.page.wait_for_selector("body[data-ready='true']")
    wait_state(tab, "done")
    assert tab.page.locator("#pay-button").is_disabled()
    click_pay_anyway(tab)
    tab.page.wait_for_timeout(300)
    paid_once(payproc_app)


def test_a_checkout_post_lost_on_the_way_lets_the_shopper_pay_again_with_the_same_key(browser, site, payproc_app,
                                                                                       tabs):
    tab = open_tab(browser, site, tabs)
    lost: list[str] = []

    def drop_first(route: Any) -> None:
        if not lost:
            lost.append(route.request.url)
            route.abort("connectionreset")
        else:
            route.continue_()

    tab.page.route("**/api/checkout", drop_first)
    tab.page.get_by_role("button", name="Pay").click()
    # The server never saw the attempt: the page finds the purchase not
    # attempted and lets the shopper pay it (it used to poll forever, Pay disabled).
    tab.page.wait_for_function("() => !document.getElementById('pay-button').disabled", timeout=10_000)
    assert processor_charges(payproc_app) == []
    tab.pay()
    wait_state(tab, "done")
    paid_once(payproc_app)
    assert len({post["idempotency_key"] for post in tab.checkout_posts()}) == 1


def test_an_answer_lost_after_the_server_charged_is_polled_not_paid_again(browser, site, payproc_app, tabs):
    tab = open_tab(browser, site, tabs)

    def lose_answer(route: Any) -> None:
        route.fetch()  # the server charges the card
        route.abort("connectionreset")  # the answer never reaches the page

    tab.page.route("**/api/checkout", lose_answer)
    tab.page.get_by_role("button", name="Pay").click()
    wait_state(tab, "done")
    tab.wait_idle()
    click_pay_anyway(tab)
    tab.page.wait_for_timeout(300)
    paid_once(payproc_app)
    assert len(tab.checkout_posts()) == 1


def test_two_tabs_each_with_its_own_purchase_pay_one_charge_each(browser, site, payproc_app, tabs):
    first, second = open_tab(browser, site, tabs), open_tab(browser, site, tabs)
    second.page.get_by_label("Amount").fill("7.00")
    first.page.get_by_role("button", name="Pay").click()
    second.page.get_by_role("button", name="Pay").click()
    wait_state(first, "done")
    wait_state(second, "done")
    assert sorted(c["amount"] for c in processor_charges(payproc_app)) == [700, 2000]
    assert sorted((c.amount, c.state) for c in charges(payproc_app)) == [(700, "done"), (2000, "done")]
    assert payproc_app.check_books().balanced


def test_two_tabs_on_the_same_purchase_pay_it_once(browser, site, payproc_app, tabs):
    first = open_tab(browser, site, tabs)
    first.pay(card="4242 4242 4242 4241")  # mistyped: the purchase is prepared, not paid
    assert first.text("#pay-error") == "Your card number is incorrect."
    second = open_tab(browser, first.page.url, tabs)  # the shopper duplicates the tab
    assert second.page.get_by_label("Amount").input_value() == "20.00"
    first.page.get_by_label("Card number").fill("4242 4242 4242 4242")
    first.page.get_by_role("button", name="Pay").click()
    second.page.get_by_role("button", name="Pay").click()
    wait_state(first, "done")
    wait_state(second, "done")
    paid_once(payproc_app)
    keys = {post["idempotency_key"] for tab in (first, second) for post in tab.checkout_posts()}
    assert len(keys) == 1


def test_the_return_url_opened_before_paying_leaves_the_purchase_payable(browser, site, payproc_app, tabs):
    first = open_tab(browser, site, tabs)
    first.pay(card="4242 4242 4242 4241")  # prepared, not paid
    key = first.page.url.split("purchase=")[1]
    second = open_tab(browser, f"{site}return/{key}", tabs)
    assert second.page.locator("#pay-error").is_hidden() and not second.page.locator("#pay-button").is_disabled()
    assert [c.state for c in charges(payproc_app)] == ["awaiting"]
    first.pay(card="4242 4242 4242 4242")
    wait_state(first, "done")
    paid_once(payproc_app)


def test_new_purchase_after_success_starts_a_new_key_and_a_reload_keeps_it(browser, site, payproc_app, tabs):
    tab = open_tab(browser, site, tabs)
    tab.pay()
    wait_state(tab, "done")
    first_url = tab.page.url
    tab.page.get_by_role("button", name="New purchase").click()
    assert "purchase=" not in tab.page.url
    tab.page.reload()
    tab.page.wait_for_selector("body[data-ready='true']")
    assert tab.page.locator("#receipt").is_hidden() and not tab.page.locator("#pay-button").is_disabled()
    tab.pay(amount="5.00")
    wait_state(tab, "done")
    assert tab.page.url != first_url
    assert sorted(c["amount"] for c in processor_charges(payproc_app)) == [500, 2000]
    assert payproc_app.check_books().balanced


def test_a_new_amount_after_a_decline_is_a_new_purchase(browser, site, payproc_app, tabs):
    tab = open_tab(browser, site, tabs)
    tab.pay(card="4000 0000 0000 0002")
    assert tab.text("#pay-error") == "Your card was declined."
    declined_url = tab.page.url
    tab.pay(card="4242 4242 4242 4242", amount="25.00")
    wait_state(tab, "done")
    assert tab.page.url != declined_url
    assert [(c["amount"], c["status"]) for c in processor_charges(payproc_app)] == [(2000, "failed"),
                                                                                   (2500, "succeeded")]
    assert [(c.amount, c.state) for c in charges(payproc_app)] == [(2000, "failed"), (2500, "done")]
    assert payproc_app.check_books().balanced


def test_an_unreachable_processor_then_pay_again_charges_once(browser, site, payproc_app, tabs):
    """The processor never got the request (fault ``unreachable``): the
    page polls, the poll finds nothing at the processor, the purchase is
    failed with nothing taken, and the shopper's next Pay is one charge."""
    from payproc_fake import processor

    tab = open_tab(browser, site, tabs)
    processor.get_account(payproc_app.backend.settings.ACCOUNT).fail_next(  # type: ignore[attr-defined]
        "unreachable", operation="create_charge")
    tab.page.get_by_role("button", name="Pay").click()
    tab.page.wait_for_function("() => !document.getElementById('pay-error').hidden", timeout=10_000)
    assert tab.text("#pay-error").endswith("nothing was charged.")
    assert processor_charges(payproc_app) == []
    tab.pay()
    wait_state(tab, "done")
    assert [c["status"] for c in processor_charges(payproc_app)] == ["succeeded"]
    assert [c.state for c in charges(payproc_app)] == ["failed", "done"]
    assert payproc_app.check_books().balanced
