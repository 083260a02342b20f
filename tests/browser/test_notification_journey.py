"""Issue 27's journey: a coordinator circulates a new agenda version; the worker mails it through a real SMTP
server (aiosmtpd with STARTTLS, its certificate from a test authority); the official opens the mail, follows its
link in Chromium and lands on the agenda with the change marked; the dashboard shows the version with its cover
note, new until the official marks it read."""

from __future__ import annotations

import re
import secrets

import pytest

from tests.browser.conftest import _flask
from tests.browser.test_accessibility import sign_in
from tests.browser.test_journeys import add_item, flash, go_on

notify_conftest = pytest.importorskip("tests.notify.conftest")  # aiosmtpd and trustme


@pytest.fixture
def mail_server(tmp_path):
    """A real SMTP server requiring STARTTLS; yields (mailbox, environment for a worker that sends to it)."""
    ca = notify_conftest.trustme.CA()
    ca_file = tmp_path / "mail-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    controller, mailbox = notify_conftest.start_server(ca)
    env = {
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(controller.port),
        "MAIL_USE_TLS": "1",
        "MAIL_USE_SSL": "0",
        "MAIL_CA_FILE": str(ca_file),
        "MAIL_SUPPRESS": "0",
        "MAIL_TIMEOUT": "5",
    }
    try:
        yield mailbox, env
    finally:
        controller.stop()


def circulate(page, button: str, note: str) -> None:
    """Circulate from the meeting page with a cover note (and confirm, where a confirmation is asked)."""
    form = page.locator("form", has=page.get_by_role("button", name=button))
    form.get_by_label("Note for partners with this version (optional)").fill(note)
    form.get_by_role("button", name=button).click()
    go_on(page)  # circulating asks first: the dialog (or, without JavaScript, the confirmation page)
    assert "is frozen and visible to partners" in flash(page)


def test_an_official_follows_the_circulation_mail_to_the_changes(
    live_server, server_env, new_account, browser, mail_server
):
    base, _ = live_server
    mailbox, mail_env = mail_server
    tag = secrets.token_hex(3)
    title = f"SOM mail journey {tag}"
    contexts = [browser.new_context(locale="en-GB", timezone_id=zone) for zone in ("Asia/Tokyo", "Europe/Brussels")]
    try:
        for context in contexts:
            context.set_default_timeout(10_000)
        official, coordinator = (context.new_page() for context in contexts)

        # The official wants agendas at once rather than in the daily digest.
        official_email, official_password = new_account("official", partner="JP", name=f"Official {tag}")
        sign_in(official, base, official_email, official_password)
        official.goto(base + "/account")
        official.get_by_label("Agendas circulated and adopted").select_option("immediate")
        official.get_by_role("button", name="Save mail preferences").click()
        assert "Your mail preferences are saved." in flash(official)

        # The coordinator circulates v1, changes an item and circulates v2 with a cover note.
        sign_in(coordinator, base, *new_account("coordinator"))
        coordinator.goto(base + "/meetings/new")
        coordinator.get_by_label("Title").fill(title)
        coordinator.get_by_label("Kind of meeting").select_option("som")
        coordinator.get_by_label("Short code").fill(f"SOM-M{tag[:4]}")
        coordinator.get_by_label("City").fill("Tokyo")
        coordinator.get_by_label("Host partner").select_option("JP")
        coordinator.get_by_label("First day").fill("2027-05-10")
        coordinator.get_by_label("Last day", exact=True).fill("2027-05-11")
        coordinator.get_by_role("button", name="Create meeting").click()
        coordinator.get_by_role("button", name="Start drafting the agenda").click()
        add_item(coordinator, "Opening of the meeting", "adoption", 15)
        add_item(coordinator, "Any other business", "information", 10)
        circulate(coordinator, "Circulate the agenda to partners", "First draft.")
        coordinator.get_by_role("link", name="Edit item 2", exact=True).click()
        coordinator.get_by_label("Title", exact=True).fill("Any other business and closing")
        coordinator.get_by_role("button", name="Save item").click()
        assert "Item saved." in flash(coordinator)
        note = f"Item 2 now closes the meeting ({tag})."
        circulate(coordinator, "Circulate the revised agenda", note)

        # The worker delivers the mails to the SMTP server.
        _flask({**server_env, **mail_env, "EXTERNAL_BASE_URL": base}, "worker", "--once")
        (mail,) = [m for m in mailbox.to(official_email) if m["Subject"] == f"Agenda v2 circulated: {title}"]
        text = mail.get_body(("plain",)).get_content()
        assert note in text and "Since v1: 0 added, 0 removed, 0 moved, 1 reworded" in text
        compare_link = re.search(r"Compare the versions: (\S+)", text).group(1)
        assert compare_link.startswith(base + "/meetings/")

        # The official opens the mail and follows its link: the agenda with the change marked.
        official.set_content(mail.get_body(("html",)).get_content())
        official.get_by_role("link", name="Compare the versions").click()
        official.wait_for_url(compare_link)
        assert "From v1" in official.get_by_role("heading", level=2).first.inner_text()
        changed = official.locator(".change--changed")
        assert changed.count() == 1 and changed.locator("ins").inner_text().strip() == "and closing"
        assert "Opening of the meeting" in official.locator("main").inner_text()

        # The dashboard shows the version with its cover note, and the mail as news, new until read.
        official.goto(base + "/")
        versions = official.locator("section[aria-labelledby=versions-title]")
        entry = versions.locator("li", has_text=title)
        assert "New" in entry.locator(".badge").inner_text()
        assert "agenda v2 circulated" in entry.inner_text() and note in entry.locator("blockquote").inner_text()
        entry.get_by_role("link", name=re.compile("What changed since v1")).click()
        assert official.url == compare_link
        official.goto(base + "/")
        news = official.locator("#news")
        item = news.locator("li", has_text=f"Agenda v2 circulated: {title}")
        assert item.locator(".badge").inner_text() == "New"
        news.get_by_role("button", name="Mark all as read").click()
        assert "marked as read" in flash(official)
        assert official.locator("#news .badge").count() == 0
        assert official.locator("section[aria-labelledby=versions-title] .badge").count() == 0
    finally:
        for context in contexts:
            context.close()
