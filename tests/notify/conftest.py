"""A real SMTP server for the notification tests: aiosmtpd on 127.0.0.1, STARTTLS required, its
certificate issued by a test certificate authority (trustme) that the application is told to trust."""

from __future__ import annotations

import socket
import ssl
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
import sqlalchemy as sa

from secretariat.extensions import db
from secretariat.notify.models import Notification
from secretariat.timeutil import utcnow

aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller")
trustme = pytest.importorskip("trustme")


class Mailbox:
    """The aiosmtpd handler: keeps every message it accepts, parsed."""

    def __init__(self):
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    def recipients(self) -> set[str]:
        return {m["To"] for m in self.messages}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(ca, port: int | None = None):
    """An SMTP server on 127.0.0.1 that requires STARTTLS with a certificate of ``ca``."""
    cert = ca.issue_cert("127.0.0.1", "localhost")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    mailbox = Mailbox()
    controller = aiosmtpd_controller.Controller(
        mailbox, hostname="127.0.0.1", port=port or free_port(), tls_context=context, require_starttls=True
    )
    controller.start()
    return controller, mailbox


@pytest.fixture(scope="session")
def mail_ca():
    return trustme.CA()


@pytest.fixture
def ca_file(mail_ca, tmp_path):
    path = tmp_path / "mail-ca.pem"
    mail_ca.cert_pem.write_to_path(str(path))
    return str(path)


def point_mail_at(app, monkeypatch, port: int, ca_file: str) -> None:
    for key, value in {
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": port,
        "MAIL_USE_TLS": True,
        "MAIL_USE_SSL": False,
        "MAIL_CA_FILE": ca_file,
        "MAIL_SUPPRESS": False,
        "MAIL_TIMEOUT": 5,
    }.items():
        monkeypatch.setitem(app.config, key, value)


@pytest.fixture
def smtp_server(app, mail_ca, ca_file, monkeypatch):
    """A running SMTP server the application sends to; yields its mailbox."""
    controller, mailbox = start_server(mail_ca)
    point_mail_at(app, monkeypatch, controller.port, ca_file)
    yield mailbox
    controller.stop()


def time_passes() -> None:
    """Every mail waiting (for a retry or for its reader's digest hour) is due now."""
    db.session.execute(sa.update(Notification).values(next_attempt_at=utcnow()))
    db.session.commit()


def deliver() -> int:
    """The worker's turn once every mail is due (digests included): how many notifications went."""
    from secretariat.notify import delivery

    time_passes()
    return delivery.deliver_due()


def about(mailbox: Mailbox, subject: str) -> list[EmailMessage]:
    """The messages received with this subject (a long one may be folded onto the header's next line,
    which leaves a space before it once parsed: RFC 5322 folding, which mail programs unfold)."""
    return [m for m in mailbox.messages if m["Subject"].strip() == subject]


def text_of(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def link_of(message: EmailMessage) -> str:
    """The mail's link to its object: the first line that ends in an address of the site."""
    return next(line.split(": ", 1)[1] for line in text_of(message).splitlines() if ": http://localhost/" in line)


def opens(app, user, link: str) -> int:
    """The status of the link's page for ``user``, signed in in a browser of their own."""
    reader = app.test_client()
    assert reader.login(user.email).status_code == 302
    return reader.get(link.removeprefix("http://localhost").split("#")[0]).status_code


def reader(role: str, partner_code: str = "JP", **kwargs):
    """A user who chose every mail at once (no digest), so that each event's own mail can be read."""
    from secretariat.notify import preferences
    from secretariat.notify.models import Delivery
    from tests.factories import make_user

    user = make_user(role, partner_code=partner_code, **kwargs)
    preferences.save(user, {category: Delivery.IMMEDIATE for category in preferences.CHOOSABLE}, 7)
    db.session.commit()
    return user
