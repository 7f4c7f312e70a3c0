"""In real Chromium: a supervisor opens the knowledge base, uploads a Markdown file through
the form, reads its passages, re-indexes it and removes it, under the console's CSP with no
script, CSP or missing-icon error. Screenshots go to test-artifacts/console/knowledge/."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from lendline import demo
from tests.channels.conftest import LiveApp
from tests.console.pages.conftest import SUPERVISOR, execute

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "console" / "knowledge"
BRANCHES = b"""---
title: Branch opening hours
---
# Branch opening hours

## Weekdays

Every branch opens from 8 a.m. to 4 p.m., Monday to Friday.

## Saturdays

Port of Spain and San Fernando open from 8 a.m. to noon on Saturdays.
"""


def sign_in(page: Page, app: LiveApp) -> None:
    page.goto(f"{app.url}/console/knowledge")
    page.get_by_label("Email").fill(SUPERVISOR)
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{app.url}/console/knowledge")


def test_the_knowledge_base_in_a_browser(pages_app: LiveApp, tmp_path: Path) -> None:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("chromium is not installed (apt-get install chromium)")
    upload, wrong = tmp_path / "branch-hours.md", tmp_path / "rates.docx"
    upload.write_bytes(BRANCHES)
    wrong.write_bytes(b"PK\x03\x04 a word document")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    failed: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on("console", lambda message: problems.append(message.text)
                if message.type == "error" and "status of 422" not in message.text else None)
        page.on("response", lambda response: failed.append(f"{response.status} {response.url}")
                if response.status >= 400 else None)
        sign_in(page, pages_app)
        expect(page.locator("h1")).to_have_text("Knowledge base")
        expect(page.locator("#documents")).to_contain_text("bundled/late-fees.md")
        page.screenshot(path=ARTIFACTS / "list.png", full_page=True)

        page.get_by_label("File").set_input_files(upload)
        page.get_by_role("button", name="Upload and index").click()
        expect(page.locator(".notice")).to_contain_text("Added to the knowledge base: 2 passages")
        expect(page.locator("h1")).to_have_text("Branch opening hours")
        expect(page.locator("#passages article")).to_have_count(2)
        page.screenshot(path=ARTIFACTS / "document.png", full_page=True)

        document_url = page.url.split("?")[0]
        conversation = execute(pages_app, """
            INSERT INTO conversations (channel, address, status, last_activity_at)
            VALUES ('web', 'kb-browser-test', 'closed', now()) RETURNING id""")
        execute(pages_app, """
            INSERT INTO conversation_messages (conversation_id, channel, direction, author, body)
            VALUES (:id, 'web', 'outbound', 'agent', :body) RETURNING id""", id=conversation,
            body="Every branch opens from 8 a.m. to 4 p.m.\n\n"
                 "(Source: Branch opening hours — Weekdays)")
        page.goto(f"{pages_app.url}/console/conversations/{conversation}")
        page.get_by_role("link", name="Cited passages (1 answers)").click()
        expect(page.locator("article.passage h3")).to_have_text(
            "Branch opening hours — Weekdays")
        page.screenshot(path=ARTIFACTS / "cited.png", full_page=True)
        page.get_by_role("link", name="Branch opening hours").click()
        expect(page.locator("#cited-in")).to_contain_text("Weekdays")
        assert page.url == document_url

        page.get_by_role("button", name="Re-index this document").click()
        expect(page.locator(".notice")).to_contain_text("Re-indexed 1 documents: 2 passages")
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="Remove").click()
        expect(page.locator(".notice")).to_contain_text("The document and its 2 passages")
        expect(page.locator("#documents")).not_to_contain_text("branch-hours.md")

        page.get_by_label("File").set_input_files(wrong)
        page.get_by_role("button", name="Upload and index").click()
        expect(page.locator(".error")).to_contain_text("rates.docx: this type of file cannot")
        page.screenshot(path=ARTIFACTS / "refused.png", full_page=True)
        browser.close()
    assert problems == []
    assert failed == [f"422 {pages_app.url}/console/knowledge/upload"]  # the refused .docx
