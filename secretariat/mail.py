"""Outgoing mail: messages built properly (multipart, Message-ID, Date, Auto-Submitted) and sent over
SMTP with STARTTLS or implicit TLS that verifies the server's certificate and host name. Only the
worker sends (notify/delivery.py): a request writes outbox rows, never to a mail server.

Without MAIL_SERVER, or with MAIL_SUPPRESS, messages are printed to the process's output instead
(the console backend of `make run`: the worker's terminal shows what would have been sent).
"""

from __future__ import annotations

import smtplib
import ssl
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from urllib.parse import urlsplit

from flask import current_app

from secretariat.timeutil import utcnow


@dataclass(frozen=True)
class Attachment:
    filename: str
    maintype: str
    subtype: str
    data: bytes
    params: tuple[tuple[str, str], ...] = ()


def mail_configured() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def console_backend() -> bool:
    """Mails are printed, not sent: in development, or wherever no server is configured."""
    return current_app.config.get("MAIL_SUPPRESS") or not mail_configured()


def new_message_id() -> str:
    """A globally unique Message-ID on the site's own domain."""
    domain = urlsplit(current_app.config.get("EXTERNAL_BASE_URL") or "").hostname or "asem-secretariat"
    return make_msgid(domain=domain)


def build_message(
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    *,
    message_id: str | None = None,
    attachments: Iterable[Attachment] = (),
) -> EmailMessage:
    """A message marked as automatic (RFC 3834), so that vacation responders do not answer it."""
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = message_id or new_message_id()
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    for part in attachments:
        message.add_attachment(
            part.data, maintype=part.maintype, subtype=part.subtype, filename=part.filename, params=dict(part.params)
        )
    return message


def tls_context() -> ssl.SSLContext:
    """Verifies the certificate chain and the host name (MAIL_CA_FILE for a private authority)."""
    return ssl.create_default_context(cafile=current_app.config.get("MAIL_CA_FILE"))


def connect() -> smtplib.SMTP:
    """An authenticated SMTP connection over TLS (unless MAIL_USE_TLS and MAIL_USE_SSL are both off)."""
    cfg = current_app.config
    host, port, timeout = cfg["MAIL_SERVER"], cfg["MAIL_PORT"], cfg.get("MAIL_TIMEOUT", 15)
    if cfg.get("MAIL_USE_SSL"):
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout, context=tls_context())
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
        try:
            if cfg["MAIL_USE_TLS"]:
                smtp.starttls(context=tls_context())
        except BaseException:
            smtp.close()
            raise
    try:
        if cfg.get("MAIL_USERNAME"):
            smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


def print_message(message: EmailMessage) -> None:
    """The console backend: the text part and the headers that matter, on standard output."""
    body = message.get_body(("plain",))
    print(
        f"--- mail (not sent: MAIL_SUPPRESS or no MAIL_SERVER) ---\n"
        f"To: {message['To']}\nSubject: {message['Subject']}\nMessage-ID: {message['Message-ID']}\n\n"
        f"{body.get_content() if body else ''}\n--- end of mail ---",
        file=sys.stdout,
        flush=True,
    )


@contextmanager
def connection() -> Iterator[Callable[[EmailMessage], object]]:
    """A function sending one message over one connection (or printing it), for a batch of mails."""
    if console_backend():
        yield print_message
        return
    with connect() as smtp:
        yield smtp.send_message
