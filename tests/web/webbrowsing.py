"""Driving Debian's Chromium with Playwright for the browser tests: the
launch options, a tab on the checkout page that records what it posts, and
the fixtures' building blocks (a module with a unique name: test modules of
this directory import it)."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from typing import Any

import pytest
from payproc.db.models import ChargeRow
from sqlalchemy import select

CHROMIUM = os.environ.get("PAYPROC_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]

CUSTOMER = "alice"  # the profile conftest.py creates


def _require_browser() -> Any:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    missing = sync_playwright is None or not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM))
    if missing:
        message = "browser tests need playwright (pip) and Debian's chromium: run .ci/browser-deps"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return sync_playwright


def launched_browser() -> Iterator[Any]:
    sync_playwright = _require_browser()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Page:
    """A browser tab on the checkout page that records what it posts."""

    def __init__(self, browser: Any, url: str) -> None:
        self.context = browser.new_context()
        self.page = self.context.new_page()
        self.posts: list[tuple[str, str]] = []
        self.outside: list[str] = []
        self.console_errors: list[str] = []
        self.page.on("request", self._record)
        self.page.on("pageerror", lambda error: self.console_errors.append(str(error)))
        self.page.on("console", lambda message: message.type == "error" and self.console_errors.append(message.text))
        self.page.goto(url)
        self.page.wait_for_selector("body[data-ready='true']", timeout=10_000)

    def _record(self, request: Any) -> None:
        if not request.url.startswith("http://127.0.0.1:"):
            self.outside.append(request.url)
        if request.method == "POST":
            self.posts.append((request.url, request.post_data or ""))

    def pay(self, card: str = "4242 4242 4242 4242", amount: str = "20.00", token: str = "") -> None:
        self.page.get_by_label("Amount").fill(amount)
        self.page.get_by_label("Card number").fill(card)
        if token:
            self.page.get_by_text("Developer: post a test token directly").click()
            self.page.get_by_label("Test token", exact=False).fill(token)
        self.page.get_by_role("button", name="Pay").click()
        self.wait_idle()

    def wait_idle(self) -> None:
        """Until the page is done with the Pay click (a settled purchase, a
        message, or an error)."""
        self.page.wait_for_function(
            "() => document.getElementById('pay-button').getAttribute('aria-busy') !== 'true' && "
            "(document.getElementById('pay-status').textContent || !document.getElementById('pay-error').hidden)")

    def hold(self, pattern: str) -> list[Any]:
        """Hold the page's requests to ``pattern``: each waits, unanswered, in
        the returned list until the test calls its ``continue_()``. The page
        stays in the state it is in while it waits for that answer, however
        slow or loaded the machine is."""
        held: list[Any] = []
        self.page.route(pattern, lambda route: held.append(route))
        return held

    def held(self, routes: list[Any], count: int = 1, timeout_s: float = 15) -> Any:
        """The ``count``-th request ``hold()`` caught, once the page sent it."""
        deadline = time.monotonic() + timeout_s
        while len(routes) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"the page sent {len(routes)} of the {count} requests expected")
            self.page.wait_for_timeout(20)  # Playwright delivers the route while it waits
        return routes[count - 1]

    def click_anyway(self, name: str) -> None:
        """The shopper clicks the button whatever it shows (a disabled
        button does nothing, as in any browser). Playwright's forced click
        scrolls the button into view, then fails ("Element is outside of the
        viewport") if the page scrolls meanwhile, as it does when it moves
        the focus to the receipt: make it while the page waits for an answer
        (``hold``) or once it is idle, not while an answer may arrive."""
        self.page.get_by_role("button", name=name).click(force=True, no_wait_after=True)

    def text(self, selector: str) -> str:
        return str(self.page.locator(selector).inner_text()).strip()

    def checkout_posts(self) -> list[dict[str, Any]]:
        return [json.loads(body) for url, body in self.posts if url.endswith("/api/checkout")]

    def close(self) -> None:
        self.context.close()


def charges(app) -> list[ChargeRow]:  # type: ignore[no-untyped-def]
    with app.db.transaction() as session:
        return list(session.scalars(select(ChargeRow)))
