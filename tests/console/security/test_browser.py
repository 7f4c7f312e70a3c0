"""In real Chromium: sign in, enrol in two-factor sign-in from the QR page, sign out, sign in
with a code, sign out. Screenshots of each step go to test-artifacts/console/sign-in/ (and
`failure.png` with the page's HTML when a step fails)."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path

import pyotp
from playwright.sync_api import Page, sync_playwright

from core.staff.models import Role
from core.staff.service import create_staff
from lendline.embedded import EmbeddedPostgres, EmbeddedRedis
from lendline.settings import Settings
from tests.channels.conftest import LiveApp, live_app

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "console" / "sign-in"
EMAIL, PASSWORD = "sita@console.example", "browser-password-1"
DATABASE = "console_browser"


def create_supervisor(live: LiveApp) -> None:
    async def create() -> None:
        async with live.app.state.services.session_factory() as session, session.begin():
            await create_staff(session, email=EMAIL, name="Sita Supervisor",
                               role=Role.SUPERVISOR, password=PASSWORD, actor="test")

    live.run(create())


def submit(page: Page, selector: str) -> None:
    """Click a form's button and wait for the page the server answers with."""
    with page.expect_navigation():
        page.click(selector)


def sign_in(page: Page, base: str) -> None:
    page.goto(f"{base}/console/account")
    assert page.url.startswith(f"{base}/console/login?next=")
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    submit(page, "button[type=submit]")


def walk_through(page: Page, base: str, shot: Callable[[str], None]) -> None:
    """The steps, each checked and photographed."""
    sign_in(page, base)
    page.wait_for_url(f"{base}/console/account")
    assert page.text_content("h2") == "Sita Supervisor"
    assert "(this session)" in page.inner_text("#sessions")
    shot("01-account-after-sign-in")

    submit(page, "text=Set up two-factor sign-in")
    page.wait_for_url(f"{base}/console/account/two-factor")
    assert page.locator("img.qr").evaluate("img => img.naturalWidth") > 100
    secret = (page.text_content("#secret") or "").replace(" ", "")
    shot("02-two-factor-qr")
    page.fill("input[name=code]", pyotp.TOTP(secret).now())
    submit(page, "text=Turn on")
    page.wait_for_url(f"{base}/console/account?notice=two-factor-on")
    assert "Two-factor sign-in is on" in page.inner_text("main")
    shot("03-two-factor-on")

    submit(page, "#sign-out")
    page.wait_for_url(f"{base}/console/login")
    shot("04-signed-out")

    sign_in(page, base)
    page.wait_for_url(f"{base}/console/login/two-factor?next=%2Fconsole%2Faccount")
    shot("05-code-asked")
    page.fill("input[name=code]", "000000")
    submit(page, "button[type=submit]")
    assert "That code is not right" in page.inner_text("main")
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30)  # the enrolment code is spent
    page.fill("input[name=code]", pyotp.TOTP(secret).at(soon))
    submit(page, "button[type=submit]")
    page.wait_for_url(f"{base}/console/account")
    assert "On since" in page.inner_text("#two-factor")
    shot("06-signed-in-with-code")

    submit(page, "#sign-out")
    page.wait_for_url(f"{base}/console/login")
    page.goto(f"{base}/console/account")
    assert page.url.startswith(f"{base}/console/login?next=")
    shot("07-signed-out-again")


def test_sign_in_enrol_two_factor_and_sign_out(
    settings: Settings, postgres: EmbeddedPostgres, embedded_redis: EmbeddedRedis
) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    postgres.drop_database(DATABASE)
    with live_app(settings, postgres, embedded_redis, database=DATABASE,
                  seed_demo_data=False, run_worker=False) as live, sync_playwright() as driver:
        create_supervisor(live)
        browser = driver.chromium.launch(
            executable_path=shutil.which("chromium"),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_page(viewport={"width": 1200, "height": 860})
        page.set_default_timeout(60_000)  # a loaded test machine can be slow; a real hang is not
        logged: list[str] = []
        page.on("console", lambda message: logged.append(message.text))
        page.on("pageerror", lambda error: logged.append(f"uncaught: {error}"))

        def shot(name: str) -> None:
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

        try:
            walk_through(page, live.url, shot)
        except Exception:
            shot("failure")
            (ARTIFACTS / "failure.html").write_text(page.content())
            raise
        browser.close()
    assert [text for text in logged if "Content Security Policy" in text
            or text.startswith("uncaught")] == [], "no CSP violation, no script error"

