"""The console in real headless Chromium: a staff member signs in, sees a borrower's
escalation arrive live, claims it, replies, and hands it back; the borrower, on the web chat
in a second browser, sees the reply and the agent answers their next message. A borrower's
message with markup shows as text and runs nothing. Screenshots of each page go to
test-artifacts/console/queue/."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from lendline import demo
from tests.channels.conftest import LiveApp

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "console" / "queue"
WAIT = 30_000
XSS = ("<script>alert('xss')</script><img src=x onerror=\"alert('xss')\"> "
       "I want to talk to a person")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("chromium is not installed (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield launched
        launched.close()


class Watched:
    """A page, and every script error, console error and dialog it produced."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.problems: list[str] = []
        self.dialogs: list[str] = []
        page.on("pageerror", lambda error: self.problems.append(str(error)))
        page.on("console", lambda message: self.problems.append(message.text)
                if message.type == "error" and not self._favicon(message.location) else None)
        page.on("dialog", self._dialog)

    @staticmethod
    def _favicon(location: dict[str, object]) -> bool:
        """The browser's own request for /favicon.ico, which the app does not serve."""
        return str(location.get("url", "")).endswith("/favicon.ico")

    def _dialog(self, dialog: object) -> None:
        self.dialogs.append(dialog.message)  # type: ignore[attr-defined]
        dialog.dismiss()  # type: ignore[attr-defined]


@pytest.fixture
def staff(browser: Browser) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    watched = Watched(context.new_page())
    yield watched
    context.close()
    assert watched.problems == [], watched.problems


@pytest.fixture
def borrower(browser: Browser) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True,
                                  has_touch=True)
    watched = Watched(context.new_page())
    yield watched
    context.close()
    assert watched.problems == [], watched.problems


def shot(page: Page, name: str) -> None:
    """Screenshot the whole page. The caret is left alone: hiding it leaves `style=""` on
    every field, which htmx then copies onto a swapped-in field, and the CSP refuses that."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True, caret="initial")


def sign_in(page: Page, app: LiveApp, email: str) -> None:
    page.goto(f"{app.url}/console/queue")
    expect(page).to_have_title("Sign in · Lendline")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{app.url}/console/queue")
    expect(page.locator("#live")).to_have_text("Live", timeout=WAIT)


def open_chat(page: Page, app: LiveApp) -> None:
    page.goto(f"{app.url}/chat")
    expect(page.locator("#connection")).to_have_text("Connected", timeout=WAIT)


def say(page: Page, words: str, expected: str) -> None:
    box = page.get_by_label("Message")
    box.fill(words)
    box.press("Enter")
    expect(page.locator("#log .msg.agent").filter(has_text=expected).last).to_be_visible(
        timeout=WAIT)


def test_a_staff_member_takes_over_a_web_chat_and_hands_it_back(
    console_app: LiveApp, staff: Watched, borrower: Watched,
) -> None:
    console, chat = staff.page, borrower.page
    sign_in(console, console_app, "agent@lendline.example")
    console.evaluate("window.stillTheSamePage = true")
    shot(console, "01-queue")

    open_chat(chat, console_app)
    say(chat, "I want to talk to a person", "member of our team")
    shot(chat, "02-borrower-asks-for-a-person")

    row = console.locator("#queue-rows tr").filter(has_text="I want to talk to a person")
    expect(row).to_be_visible(timeout=WAIT)
    expect(row).to_contain_text("Requested")
    expect(row).to_contain_text("web chat visitor")
    expect(row).to_contain_text("Waiting")
    assert console.evaluate("window.stillTheSamePage") is True, "it arrived without a reload"
    shot(console, "03-escalation-arrives-live")

    row.get_by_role("button", name="Claim").click()
    expect(console.locator(".notice")).to_contain_text("You have this conversation")
    expect(console.locator("#escalation-status")).to_contain_text("Claimed by you")
    transcript = console.locator("#transcript")
    expect(transcript.locator(".entry.borrower")).to_contain_text("I want to talk to a person")
    expect(transcript.locator(".entry.event").filter(has_text="Claimed by Andre Agent")
           ).to_be_visible()
    shot(console, "04-claimed")

    console.get_by_role("button", name="Suggest a reply").click()
    box = console.locator("#reply-text")
    expect(box).to_have_value(
        "Hello, this is Andre from Island Credit Union (demo). I have your conversation now "
        "and I've read it through. You wrote: “I want to talk to a person”. How can I help?",
        timeout=WAIT)
    expect(console.locator(".suggested")).to_contain_text("edit it before sending")
    box.fill("Hello, this is Andre from the team. How can I help you today?")
    console.get_by_role("button", name="Send").click()
    expect(console.locator(".notice")).to_contain_text("on its way")
    expect(transcript.locator(".entry.staff.message")).to_contain_text("How can I help you today?")

    console.get_by_label("For staff only; never sent to the borrower.").fill(
        "Visitor not verified; nothing about accounts shared.")
    console.get_by_role("button", name="Add note").click()
    expect(transcript.locator(".entry.note")).to_contain_text("nothing about accounts shared")
    shot(console, "05-replied-with-a-note")

    expect(chat.locator("#log .msg.staff")).to_contain_text("How can I help you today?",
                                                            timeout=WAIT)
    expect(chat.locator("#log")).not_to_contain_text("nothing about accounts shared")
    shot(chat, "06-borrower-sees-the-reply")

    console.get_by_role("button", name="Resolve and hand back to the agent").click()
    expect(console.locator(".notice")).to_contain_text("Handed back")
    expect(console.locator("#escalation")).to_contain_text("the agent has this conversation")
    shot(console, "07-handed-back")

    expect(chat.locator("#log .msg.agent").filter(has_text="back with you")).to_be_visible(
        timeout=WAIT)
    say(chat, "what are your opening hours", "Source:")
    shot(chat, "08-agent-answers-again")

    expect(transcript.locator(".entry.borrower").last).to_contain_text(
        "what are your opening hours", timeout=WAIT)
    answer = transcript.locator(".entry.agent").last
    expect(answer.locator(".cited")).to_contain_text("Cited: Source:", timeout=WAIT)
    shot(console, "09-transcript-with-citation")


def test_markup_in_a_borrowers_message_is_shown_as_text(
    console_app: LiveApp, staff: Watched, borrower: Watched,
) -> None:
    console, chat = staff.page, borrower.page
    sign_in(console, console_app, "supervisor@lendline.example")
    open_chat(chat, console_app)
    say(chat, XSS, "member of our team")

    row = console.locator("#queue-rows tr").filter(has_text="<script>alert('xss')</script>")
    expect(row).to_be_visible(timeout=WAIT)
    assert console.locator("#queue-rows img, #queue-rows script").count() == 0
    shot(console, "10-markup-in-the-queue")

    row.get_by_role("link", name="Open").click()
    borrower_line = console.locator("#transcript .entry.borrower").last
    expect(borrower_line).to_contain_text(XSS)
    assert console.locator("#transcript img, #transcript .body script").count() == 0
    shot(console, "11-markup-in-the-transcript")
    assert staff.dialogs == [], "no script from the message ran"
    expect(console).to_have_title(re.compile(r"^Conversation \d+ · Lendline$"))
