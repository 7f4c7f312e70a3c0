"""The chat page in real headless Chromium, as a borrower on a 360 px phone uses it: a whole
application typed from the keyboard, a person answering and handing back, a document
attached, then a reload that resumes the same conversation. Screenshots of each step go to
test-artifacts/web-chat/."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    Page,
    ViewportSize,
    WebSocketRoute,
    expect,
    sync_playwright,
)

from tests.agent.fake_openai import FakeOpenAI, Running
from tests.channels.conftest import LiveApp
from tests.channels.web.conftest import (
    conversation_of,
    hand_back,
    llm_agent,
    one_time_code,
    query,
    questions_to_the_knowledge_base,
    staff_reply,
)

APPLICANT = "+18685550150"  # a demo customer with no loan and no application
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "web-chat"
PHONE: ViewportSize = {"width": 360, "height": 740}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
WAIT = 30_000


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


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    opened = context.new_page()
    problems: list[str] = []
    opened.on("pageerror", lambda error: problems.append(str(error)))
    opened.on("console", lambda message: problems.append(message.text)
              if message.type == "error" else None)
    yield opened
    context.close()
    assert problems == []


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png")


def say(page: Page, words: str, expected: str) -> None:
    """Type and press Enter, as on a keyboard; the answer must contain `expected`."""
    answers = page.locator("#log .msg.agent")
    before = answers.count()
    box = page.get_by_label("Message")
    box.fill(words)
    box.press("Enter")
    expect(box).to_have_value("")
    expect(page.locator("#log .msg.pending")).to_have_count(0, timeout=WAIT)
    new = answers.all_inner_texts()[before:]
    assert any(expected in answer for answer in new), new


def test_a_borrower_applies_is_helped_by_a_person_sends_a_document_and_resumes(
    web_app: LiveApp, page: Page, tmp_path: Path,
) -> None:
    page.goto(f"{web_app.url}/chat")
    expect(page.locator("#connection")).to_have_text("Connected", timeout=WAIT)
    expect(page).to_have_title("Chat with Island Credit Union (demo)")
    log = page.get_by_role("log", name="Conversation")
    assert log.get_attribute("aria-live") == "polite"
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to the message box")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_label("Message")).to_be_focused()
    expect(page.locator("#log .msg.note")).to_contain_text("Ask about our loans")
    page.keyboard.press("Shift+Tab")
    expect(page.get_by_label("Attach a document")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(log).to_be_focused()  # the conversation scrolls with the arrow keys
    shot(page, "01-opened")

    say(page, "I want to apply for a personal loan", "mobile number")
    say(page, "+1 868 555 0150", "6-digit code")
    say(page, one_time_code(web_app, APPLICANT), "How much would you like to borrow?")
    say(page, "20000", "how many months")
    say(page, "24 months", "monthly income")
    say(page, "12000", "employer")
    say(page, "Massy Stores", "Shall I submit it?")
    expect(page.locator("#log strong").filter(has_text="Personal Loan").last).to_be_visible()
    shot(page, "02-read-back")
    say(page, "yes", "needs a credit officer to review it")
    expect(page.locator("#state")).to_contain_text("A member of our team has your conversation")
    shot(page, "03-referred")
    token = page.evaluate("localStorage.getItem('lendline.chat.session')")
    conversation = conversation_of(web_app, token)

    staff_reply(web_app, conversation, "Hi, I'm Ulric, your credit officer. Please send your "
                "latest payslip and I'll finish the review.")
    expect(page.locator("#log .msg.staff")).to_contain_text("I'm Ulric", timeout=WAIT)
    hand_back(web_app, conversation)
    expect(page.locator("#state")).to_be_hidden(timeout=WAIT)
    expect(page.locator("#log .msg.note").last).to_have_text(
        "You're chatting with our assistant.")

    payslip = tmp_path / "payslip-november.pdf"
    payslip.write_bytes(PDF)
    page.get_by_label("Attach a document").set_input_files(payslip)
    expect(page.locator("#log .msg.agent").filter(
        has_text="I've added payslip-november.pdf to application APP-")).to_be_visible(
        timeout=WAIT)
    expect(page.locator("#log .msg.borrower .file").last).to_have_text(
        "Document: payslip-november.pdf")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "04-document")

    shown = page.locator("#log .msg:not(.note)").count()
    page.reload()
    expect(page.locator("#connection")).to_have_text("Connected", timeout=WAIT)
    assert page.evaluate("localStorage.getItem('lendline.chat.session')") == token
    expect(page.locator("#log .msg")).to_have_count(shown)
    expect(page.locator("#log .msg.borrower").first).to_contain_text(
        "I want to apply for a personal loan")
    expect(page.locator("#log .msg.staff")).to_contain_text("I'm Ulric")
    expect(page.locator("#log .msg.borrower .file").last).to_have_text(
        "Document: payslip-november.pdf")
    shot(page, "05-reloaded")
    say(page, "what's the status of my application", "APP-000")
    shot(page, "06-resumed")

    assert conversation_of(web_app, token) == conversation
    assert query(web_app, "select count(*) from application_documents d join applications a "
                 "on a.id = d.application_id join conversations c on c.customer_id = "
                 "a.customer_id where c.id = :id and d.filename = 'payslip-november.pdf'",
                 id=conversation) == 1


WATCH_DRAFTS = """
window.drafts = [];
new MutationObserver((changes) => {
  for (const change of changes) for (const node of change.addedNodes) {
    if (node.getAttribute?.("aria-hidden") === "true") window.drafts.push(node);
  }
}).observe(document.getElementById("log"), {childList: true});
"""


def test_a_streamed_answer_is_written_as_it_comes_and_then_kept_once(
    web_app: LiveApp, page: Page,
) -> None:
    answer = "Send a recent payslip and a photo of your ID. Our team reviews every document."
    fake = FakeOpenAI(questions_to_the_knowledge_base, lambda messages: answer)
    with Running(fake) as server, llm_agent(web_app, server.base_url):
        page.goto(f"{web_app.url}/chat")
        expect(page.locator("#connection")).to_have_text("Connected", timeout=WAIT)
        page.evaluate(WATCH_DRAFTS)
        say(page, "what documents do I need to apply?", "Send a recent payslip")
    assert page.evaluate("window.drafts.length") == 1  # the tokens were shown as they came
    expect(page.locator("#log [aria-hidden=true]")).to_have_count(0)
    (reply,) = page.locator("#log .msg.agent").all_inner_texts()
    assert answer in reply and "(Source: " in reply
    shot(page, "07-streamed")


class Line:
    """The page's websocket through a switch: cut it, and refuse reconnects until restored."""

    def __init__(self, page: Page) -> None:
        self.up = True
        self.routes: list[WebSocketRoute] = []
        page.route_web_socket("**/chat/ws", self._route)

    def _route(self, socket: WebSocketRoute) -> None:
        if not self.up:
            socket.close()
            return
        socket.connect_to_server()
        self.routes.append(socket)

    def cut(self) -> None:
        self.up = False
        self.routes[-1].close()


def test_a_dropped_connection_resumes_and_sends_what_was_typed_meanwhile(
    web_app: LiveApp, page: Page,
) -> None:
    line = Line(page)
    page.goto(f"{web_app.url}/chat")
    expect(page.locator("#connection")).to_have_text("Connected", timeout=WAIT)
    say(page, "hello", "assistant")
    token = page.evaluate("localStorage.getItem('lendline.chat.session')")

    line.cut()
    expect(page.locator("#connection")).to_have_text("Reconnecting…", timeout=WAIT)
    box = page.get_by_label("Message")
    box.fill("what can you do")
    box.press("Enter")
    expect(page.locator("#log .msg.pending")).to_have_count(1)
    shot(page, "08-offline")
    line.up = True

    expect(page.locator("#connection")).to_have_text("Connected", timeout=WAIT)
    expect(page.locator("#log .msg.pending")).to_have_count(0, timeout=WAIT)
    expect(page.locator("#log .msg.agent")).to_have_count(2, timeout=WAIT)
    expect(page.locator("#log .msg.borrower")).to_have_text([
        re.compile("hello"), re.compile("what can you do")])
    assert page.evaluate("localStorage.getItem('lendline.chat.unsent')") == "[]"
    assert page.evaluate("localStorage.getItem('lendline.chat.session')") == token
    assert query(web_app, "select count(*) from conversation_messages m join conversations c "
                 "on c.id = m.conversation_id where c.address = :address and "
                 "m.direction = 'inbound'", address=token.partition(".")[0]) == 2
    shot(page, "09-reconnected")
