"""In real Chromium: a supervisor opens the customer list, a customer, the dashboard, the
decisions queue and the approvals queue; each renders under the console's CSP without a
script or CSP error. Screenshots go to test-artifacts/console/pages/."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from lendline import demo
from tests.channels.conftest import LiveApp, query
from tests.console.pages.conftest import SUPERVISOR
from tests.console.pages.test_approvals import pending_override, proposed_offer

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "console" / "pages"


def test_the_pages_render_in_a_browser(pages_app: LiveApp) -> None:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("chromium is not installed (apt-get install chromium)")
    asha = query(pages_app, "SELECT id FROM customers WHERE first_name = 'Asha' "
                            "AND last_name = 'Ramdial' ORDER BY id LIMIT 1")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on("console", lambda message: problems.append(message.text)
                if message.type == "error" and "favicon" not in str(message.location)
                else None)
        page.goto(f"{pages_app.url}/console/customers")
        page.get_by_label("Email").fill(SUPERVISOR)
        page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(f"{pages_app.url}/console/customers")
        page.get_by_label("Find").fill("Ramdial")
        page.get_by_role("button", name="Search").click()
        page.screenshot(path=ARTIFACTS / "customers.png", full_page=True)
        page.locator(f'a[href="/console/customers/{asha}"]').first.click()
        expect(page.locator("h1")).to_contain_text("Asha Ramdial")
        page.locator("details summary").first.click()
        page.screenshot(path=ARTIFACTS / "customer.png", full_page=True)
        page.goto(f"{pages_app.url}/console/dashboard")
        expect(page.locator("svg.chart")).to_have_count(4)
        assert page.locator("svg.chart rect.bar").first.evaluate(
            "rect => getComputedStyle(rect).fill") != "rgb(0, 0, 0)", "pages.css styles bars"
        page.screenshot(path=ARTIFACTS / "dashboard.png", full_page=True)
        page.goto(f"{pages_app.url}/console/decisions")
        expect(page.locator("h1")).to_contain_text("Decisions")
        page.screenshot(path=ARTIFACTS / "decisions.png", full_page=True)
        offer_id, _ = proposed_offer(pages_app, "0.2")
        proposal_id = pending_override(pages_app)
        page.goto(f"{pages_app.url}/console/approvals")
        expect(page.locator(f"#settlement-{offer_id}")).to_contain_text("Colette Collector")
        expect(page.locator(f"#override-{proposal_id}")).to_contain_text("Ulric Underwriter")
        page.screenshot(path=ARTIFACTS / "approvals.png", full_page=True)
        browser.close()
    assert problems == [], problems
