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
