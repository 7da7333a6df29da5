"""Sending e-mails through one of three backends chosen by ``MAIL_BACKEND``:

- ``smtp``: Flask-Mail's connection to ``MAIL_SERVER`` (with a timeout), the
  settings read when sending, so one connection can serve a batch;
- ``file``: an ``.eml`` file per message under ``MAIL_FILE_DIR`` (the embedded
  mode), shown by the dev mailbox (``notifications/views.py``);
- ``memory``: nothing leaves the process (the tests).

Every backend announces each message with Flask-Mail's ``email_dispatched``
signal, so ``mail.record_messages()`` sees what was sent whatever the backend.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import smtplib
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from email import policy
from email.charset import QP, Charset
from email.mime.text import MIMEText
from email.utils import formatdate, make_msgid, parseaddr
from functools import lru_cache
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit

from flask import Flask, current_app
from flask_mail import Attachment, BadHeaderError, Connection, Message, email_dispatched

from eventsapp.extensions import mail
from eventsapp.notifications.mime import LONGEST_LINE as _LONGEST_LINE
from eventsapp.notifications.mime import encode_address, is_sendable_address, write_simple_message

BACKENDS = ("smtp", "file", "memory")
# The legacy generator, with SMTP's line endings (smtplib sends bytes as given).
_SMTP_COMPAT32 = policy.compat32.clone(linesep="\r\n", max_line_length=_LONGEST_LINE)


class OutgoingMessage(Message):
    """Flask-Mail's message, written out faster. Flask-Mail builds the MIME
    tree with the legacy API, its headers already encoded (RFC 2047), then
    sets the modern SMTP policy on it: the generator then parses and folds
    every header of every part again, about 5 ms of an e-mail's 8 ms of CPU
    here (bench/reminders.py). The legacy generator with CRLF line endings
    writes the same message from the same tree; the common shape (text, or
    text and HTML, nothing attached) is written without a tree at all
    (``notifications.mime``).

    Its Message-ID is under ``MAIL_DEFAULT_SENDER``'s domain (``message_id_domain``),
    where Flask-Mail's asks ``socket.getfqdn()`` at every message: a reverse
    DNS lookup of the machine's name (which stalls on a host whose resolver
    is slow, and names a container, not a domain we send from) for an ID
    the outbox replaces anyway. So ``__init__`` sets Flask-Mail 0.10's
    attributes itself, without calling its ``make_msgid()``;
    ``tests/test_notifications.py`` compares them with Flask-Mail's own.
    """

    def __init__(
        self,
        subject: str = "",
        recipients: list[str | tuple[str, str]] | None = None,
        body: str | None = None,
        html: str | None = None,
        alts: dict[str, str] | None = None,
        sender: str | tuple[str, str] | None = None,
        cc: list[str | tuple[str, str]] | None = None,
        bcc: list[str | tuple[str, str]] | None = None,
        attachments: list[Attachment] | None = None,
        reply_to: str | tuple[str, str] | None = None,
        date: float | None = None,
        charset: str | None = None,
        extra_headers: dict[str, str] | None = None,
        mail_options: list[str] | None = None,
        rcpt_options: list[str] | None = None,
    ) -> None:
        sender = sender or current_app.extensions["mail"].default_sender
        if isinstance(sender, tuple):
            sender = f"{sender[0]} <{sender[1]}>"
        self.recipients = recipients or []
        self.subject = subject
        self.sender = sender
        self.reply_to = reply_to
        self.cc = cc or []
        self.bcc = bcc or []
        self.body = body
        self.alts = dict(alts or {})
        self.html = html
        self.date = date
        self.msgId = make_msgid(domain=message_id_domain())
        self.charset = charset
        self.extra_headers = extra_headers
        self.mail_options = mail_options or []
        self.rcpt_options = rcpt_options or []
        self.attachments = attachments or []

    def as_bytes(self) -> bytes:
        written = write_simple_message(self, formatdate(self.date, localtime=True))
        return written if written is not None else self._message().as_bytes(policy=_SMTP_COMPAT32)

    def _mimetext(self, text: str | None, subtype: str = "plain") -> MIMEText:
        """A text part, 8-bit as Flask-Mail writes it unless a line is longer
        than SMTP allows (998 bytes: an organiser's long paragraph), then
        quoted-printable, which wraps it without changing the text."""
        encoded = (text or "").encode(self.charset or "utf-8")
        if all(len(line) <= _LONGEST_LINE for line in encoded.splitlines()):
            return super()._mimetext(text, subtype)
        wrapped = Charset(self.charset or "utf-8")
        wrapped.body_encoding = QP
        return MIMEText(text or "", _subtype=subtype, _charset=wrapped)  # type: ignore[arg-type]

    def as_string(self) -> str:
        return self._message().as_string(policy=_SMTP_COMPAT32)


def init_mailer(app: Flask) -> None:
    """Check ``MAIL_BACKEND`` and ``MAIL_DEFAULT_SENDER``, and bind
    Flask-Mail to ``app``. A sender SMTP cannot carry (an accented local
    part, an accented domain IDNA cannot write, no ``@``, a line break)
    stops the start, the web app's as the worker's and ``flask db
    upgrade``'s: otherwise every e-mail would fail, each retried until
    given up."""
    backend = app.config.get("MAIL_BACKEND", "memory")
    if backend not in BACKENDS:
        raise ValueError(f"MAIL_BACKEND must be one of {', '.join(BACKENDS)}, not {backend!r}")
    sender = app.config.get("MAIL_DEFAULT_SENDER")
    if (
        not sender
        or any("\n" in part or "\r" in part for part in (sender if isinstance(sender, tuple) else (sender,)))
        or not is_sendable_address(sender)
        or "@" not in parseaddr(encode_address(sender))[1]
    ):
        raise ValueError(
            f"MAIL_DEFAULT_SENDER must be an address SMTP can carry, such as "
            f"'CRESS Pays de la Loire <ne-pas-repondre@cress-pdl.org>', not {sender!r}"
        )
    mail.init_app(app)


# Sending -------------------------------------------------------------------


class _SMTPConnection(Connection):
    """Flask-Mail's SMTP connection, with a timeout and the settings read now."""

    def send(self, message: Message, envelope_from: str | tuple[str, str] | None = None) -> None:
        """Flask-Mail's ``send`` (the same checks, ``email_dispatched``,
        ``MAIL_MAX_EMAILS``), the envelope's addresses encoded by
        ``mime.encode_address``: Flask-Mail parsed and encoded the sender and
        each recipient again for every message of a batch."""
        if not message.send_to or not message.sender:
            raise ValueError("an e-mail needs a sender and at least one recipient")
        if message.has_bad_headers():
            raise BadHeaderError
        if message.date is None:
            message.date = time.time()
        # Everything is written out before the first command (the sender,
        # from the settings, included): an error after MAIL FROM would leave
        # the session in the middle of a transaction for the next message.
        sender = encode_address(envelope_from or message.sender)
        recipients = [encode_address(address) for address in message.send_to]
        for address in (sender, *recipients):
            address.encode("ascii")
        content = message.as_bytes()
        if self.host is not None:
            if self.mail.max_emails and self.num_emails >= self.mail.max_emails:
                # Flask-Mail's MAIL_MAX_EMAILS, before a message rather than
                # after one the server has accepted.
                self.num_emails = 0
                self.host.quit()
                self.host = self.configure_host()
            self.host.sendmail(sender, recipients, content, message.mail_options, message.rcpt_options)
        email_dispatched.send(current_app._get_current_object(), message=message)
        self.num_emails += 1

    def __enter__(self) -> _SMTPConnection:
        self.host = self.configure_host()
        self.num_emails = 0
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.host is not None:
            try:
                self.host.quit()
            except (smtplib.SMTPException, OSError):
                self.host.close()  # the server is gone; the first error matters

    def configure_host(self) -> smtplib.SMTP:
        config = current_app.config
        timeout = config.get("MAIL_TIMEOUT", 30)
        smtp_class = smtplib.SMTP_SSL if config.get("MAIL_USE_SSL") else smtplib.SMTP
        host = smtp_class(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=timeout)
        try:
            if config.get("MAIL_USE_TLS"):
                host.starttls()
            if config.get("MAIL_USERNAME") and config.get("MAIL_PASSWORD"):
                host.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        except BaseException:
            host.close()
            raise
        return host


class _OfflineConnection(Connection):
    """No server: the message is announced, and written to ``directory`` if given."""

    def __init__(self, state: object, directory: Path | None) -> None:
        super().__init__(state)
        self.directory = directory

    def __enter__(self) -> _OfflineConnection:
        self.host = None
        self.num_emails = 0
        return self

    def send(self, message: Message, envelope_from: str | None = None) -> None:
        if self.directory is not None:
            if message.has_bad_headers():
                raise BadHeaderError
            if message.date is None:
                message.date = time.time()
            write_eml(message, self.directory)
        super().send(message, envelope_from)


@contextmanager
def open_connection() -> Iterator[Connection]:
    """A connection of the configured backend; one SMTP session for all the
    messages sent through it."""
    config = current_app.config
    state = current_app.extensions["mail"]
    backend = config["MAIL_BACKEND"]
    if backend == "smtp":
        connection: Connection = _SMTPConnection(state)
    else:
        directory = Path(config["MAIL_FILE_DIR"]) if backend == "file" else None
        connection = _OfflineConnection(state, directory)
    with connection:
        yield connection


class UnsendableMessage(ValueError):
    """The message's own addresses or texts cannot be written out (an
    accented local part, which SMTP needs SMTPUTF8 for; a lone surrogate in
    a text): no retry will change it."""


def check_sendable(message: Message) -> None:
    """Raise ``UnsendableMessage`` when this message's recipients, reply-to
    address, subject or texts cannot be written out: checked before any
    connection is used, so a bad message neither stops a batch nor leaves an
    SMTP session in the middle of a transaction. (The sender and the
    server's settings are configuration, not the message: their errors
    stay errors, retried once fixed.)"""
    reply_to = [message.reply_to] if message.reply_to else []
    for address in (*message.send_to, *reply_to):
        if not is_sendable_address(address):
            raise UnsendableMessage(f"address {address!r} cannot be written in SMTP")
    for name, text in (("subject", message.subject), ("text", message.body), *message.alts.items()):
        try:
            (text or "").encode("utf-8")
        except UnicodeError as error:
            raise UnsendableMessage(f"{name}: {type(error).__name__}: {error}") from error


def send_message(message: Message, connection: Connection | BatchConnection | None = None) -> None:
    """Send ``message`` through ``connection``, or a new one of the configured
    backend. ``UnsendableMessage`` first (``check_sendable``); then SMTP
    errors (``smtplib.SMTPException``, ``OSError``) propagate."""
    check_sendable(message)
    if connection is not None:
        connection.send(message)
        return
    with open_connection() as new_connection:
        new_connection.send(message)


def is_connection_failure(error: BaseException) -> bool:
    """True when ``error`` means the SMTP session itself is gone or unusable
    (server unreachable or disconnected, "421 closing", refused login), as
    opposed to a reply about one message (a refused recipient or body),
    after which smtplib has reset the session and it can go on."""
    if isinstance(error, (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError)):
        return True
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return True
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code == 421
    if isinstance(error, smtplib.SMTPException):
        return False  # e.g. SMTPRecipientsRefused: about this message only
    return isinstance(error, OSError)


class BatchConnection:
    """One connection of the configured backend for many messages (a batch
    of outbox e-mails): opened at the first ``send`` only, so a batch whose
    messages were all sent already connects to nothing; dropped after a
    connection-level failure (``is_connection_failure``) and opened again by
    the next ``send``. Use it as a context manager: it closes (QUIT) at the end."""

    def __init__(self) -> None:
        self._stack: ExitStack | None = None
        self._connection: Connection | None = None
        #: How many connections were opened (one for a batch that went well).
        self.opened = 0

    def __enter__(self) -> BatchConnection:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def send(self, message: Message) -> None:
        if self._connection is None:
            stack = ExitStack()
            try:
                self._connection = stack.enter_context(open_connection())
            except BaseException:
                stack.close()
                raise
            self._stack = stack
            self.opened += 1
        try:
            self._connection.send(message)
        except BaseException as error:
            # smtplib resets the session after a refusal it reads (RSET);
            # after anything else its state is unknown: a new session.
            if is_connection_failure(error) or not isinstance(error, smtplib.SMTPException):
                self.close()
            raise

    def close(self) -> None:
        stack, self._stack, self._connection = self._stack, None, None
        if stack is not None:
            stack.close()


def message_id_domain() -> str:
    """The domain of Message-IDs: ``MAIL_DEFAULT_SENDER``'s, else
    ``PUBLIC_URL``'s host, in IDNA when accented."""
    config = current_app.config
    return _message_id_domain(config.get("MAIL_DEFAULT_SENDER") or "", config.get("PUBLIC_URL") or "")


@lru_cache(maxsize=16)
def _message_id_domain(sender: str | tuple[str, str], public_url: str) -> str:
    address = sender[1] if isinstance(sender, tuple) else parseaddr(sender)[1]
    for domain in (address.rpartition("@")[2].strip(), urlsplit(public_url).hostname or ""):
        # A Message-ID is ASCII: an accented domain in IDNA ("xn--…").
        try:
            ascii_domain = domain.encode("idna").decode("ascii") if domain else ""
        except UnicodeError:
            continue
        if ascii_domain:
            return ascii_domain
    return "localhost"


def outbox_message_id(outbox_id: int, key: str) -> str:
    """The Message-ID of the outbox e-mail ``outbox_id``: the same every time
    it is composed, so a message sent again after a crash between the SMTP
    server's "250 OK" and our commit is recognised by the recipient's systems
    as the same message (they drop duplicates by Message-ID). The keyed hash
    of its idempotency key keeps two deployments sending from one domain
    (staging, production: rows with the same id) from colliding."""
    secret = str(current_app.config.get("SECRET_KEY") or "").encode()
    digest = hmac.new(secret, f"{outbox_id}:{key}".encode(), hashlib.sha256).hexdigest()[:16]
    return f"<outbox-{outbox_id}.{digest}@{message_id_domain()}>"


def write_eml(message: Message, directory: Path) -> Path:
    """Write ``message`` as ``<UTC time>-<random>.eml`` in ``directory``
    (atomically: the mailbox never reads half a file)."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = directory / f"{stamp}-{secrets.token_hex(4)}.eml"
    partial = path.with_suffix(".eml.part")
    partial.write_bytes(message.as_bytes())
    partial.replace(path)
    return path
