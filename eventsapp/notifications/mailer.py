"""Composing e-mails from templates, and sending them through one of three
backends chosen by ``MAIL_BACKEND``:

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
import re
import secrets
import smtplib
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit

from flask import Flask, current_app, render_template
from flask_babel import gettext as _
from flask_mail import BadHeaderError, Connection, Message

from eventsapp.calendars.attachments import attach_registration_calendar
from eventsapp.calendars.tokens import ensure_feed, personal_feed_url
from eventsapp.checkin.attachments import attach_checkin_qr, checkin_email_context, wants_checkin_qr
from eventsapp.extensions import mail
from eventsapp.formatting import format_moment, format_span
from eventsapp.links import absolute_url
from eventsapp.notifications.models import EmailKind
from eventsapp.registrations.links import registration_page_url
from eventsapp.registrations.models import Registration
from eventsapp.reminders.links import stop_reminders_url
from eventsapp.templating import safe_url

BACKENDS = ("smtp", "file", "memory")
# E-mails that carry the event's .ics and the person's feed link.
CALENDAR_KINDS = frozenset({EmailKind.CONFIRMATION, EmailKind.PROMOTED, EmailKind.EVENT_CHANGED})
MAILBOX_NAME = re.compile(r"^[0-9A-Za-z][0-9A-Za-z_.-]*\.eml$")
# How the time zones of French territories are named to people.
_ZONE_PLACES = {
    "Europe/Paris": "Paris",
    "America/Guadeloupe": "la Guadeloupe",
    "America/Martinique": "la Martinique",
    "America/Cayenne": "Cayenne",
    "America/Miquelon": "Saint-Pierre-et-Miquelon",
    "Indian/Reunion": "La Réunion",
    "Indian/Mayotte": "Mayotte",
    "Pacific/Noumea": "Nouméa",
    "Pacific/Tahiti": "Tahiti",
}


def init_mailer(app: Flask) -> None:
    """Check ``MAIL_BACKEND`` and bind Flask-Mail to ``app``."""
    backend = app.config.get("MAIL_BACKEND", "memory")
    if backend not in BACKENDS:
        raise ValueError(f"MAIL_BACKEND must be one of {', '.join(BACKENDS)}, not {backend!r}")
    mail.init_app(app)


# Composing -----------------------------------------------------------------


def zone_label(zone: str) -> str:
    """ "heure de Paris", "heure de La Réunion"."""
    place = _ZONE_PLACES.get(zone) or zone.rsplit("/", 1)[-1].replace("_", " ")
    return _("heure de %(place)s", place=place)


def subject_for(kind: EmailKind, title: str) -> str:
    """The French subject line of an e-mail ``kind`` about event ``title``."""
    subjects = {
        EmailKind.CONFIRMATION: _("Inscription confirmée – %(title)s", title=title),
        EmailKind.WAITLISTED: _("Liste d'attente – %(title)s", title=title),
        EmailKind.PROMOTED: _("Une place s'est libérée pour vous – %(title)s", title=title),
        EmailKind.PENDING_CONFIRMATION: _("Confirmez votre inscription – %(title)s", title=title),
        EmailKind.CANCELLED: _("Inscription annulée – %(title)s", title=title),
        EmailKind.ALREADY_REGISTERED: _("Vous êtes déjà inscrit·e – %(title)s", title=title),
        EmailKind.REMINDER: _("Rappel – %(title)s", title=title),
        EmailKind.EVENT_CHANGED: _("Changement d'horaire ou de lieu – %(title)s", title=title),
        EmailKind.EVENT_CANCELLED: _("Événement annulé – %(title)s", title=title),
        EmailKind.ORGANISER_MESSAGE: _("Message de l'organisateur – %(title)s", title=title),
    }
    return subjects[EmailKind(kind)]


def _waitlist_rank(registration: Registration) -> int | None:
    # Imported here: the registration service imports the notifications one.
    from eventsapp.registrations.service import waitlist_rank

    if registration.waitlist_position is None:
        return None
    return waitlist_rank(registration)


def email_context(kind: EmailKind, registration: Registration) -> dict:
    """What the templates of an e-mail about ``registration`` show: dates in
    the event's time zone, place, private link, organiser's contact."""
    event = registration.event
    zone = event.timezone
    page_url = registration_page_url(registration)
    place_lines = [
        line
        for line in (
            event.venue_name,
            event.venue_address,
            " ".join(part for part in (event.venue_postcode, event.commune) if part),
        )
        if line
    ]
    organisation = event.organisation
    return {
        "kind": EmailKind(kind),
        "site_name": current_app.config["SITE_NAME"],
        "person_name": f"{registration.first_name} {registration.last_name}".strip(),
        "registration": registration,
        "event": event,
        "when": format_span(event.starts_at, event.ends_at, zone),
        "zone_label": zone_label(zone),
        "sessions": [
            {
                "title": session.title,
                "when": format_span(session.starts_at, session.ends_at, zone),
                "location": session.location,
            }
            for session in registration.sessions
        ],
        "seats": registration.seats,
        "place_lines": place_lines,
        "online_url": safe_url(event.online_url),
        "position": _waitlist_rank(registration),
        "page_url": page_url,
        # A page with a button: link scanners that follow it change nothing.
        "confirm_url": f"{page_url}/confirm",
        "confirm_before": (
            format_moment(registration.pending_expires_at, zone) if registration.pending_expires_at else None
        ),
        "event_url": absolute_url("catalog.event_page", slug=event.slug),
        "organiser": {
            "organisation": organisation.name if organisation else "",
            "name": event.contact_name,
            "email": event.contact_email or (organisation.contact_email if organisation else None),
            "phone": event.contact_phone,
        },
    }


def _reminder_texts(payload: dict, registration: Registration) -> tuple[str, str]:
    """Subject and body of a reminder, from its rule's texts."""
    # Imported here: the reminders package imports this module's callers.
    from eventsapp.extensions import db
    from eventsapp.reminders.models import ReminderRule
    from eventsapp.reminders.service import render_reminder

    rule = db.session.get(ReminderRule, payload.get("rule_id"))
    if rule is None:
        raise LookupError(f"reminder rule {payload.get('rule_id')} is gone")
    return render_reminder(rule, registration)


def _tidy_text(text: str) -> str:
    """Plain text without trailing spaces or runs of blank lines."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


def compose_email(
    kind: EmailKind,
    registration: Registration,
    *,
    recipient: str | None = None,
    payload: dict | None = None,
) -> Message:
    """The French e-mail ``kind`` about ``registration``: plain text and HTML
    from ``templates/notifications/<kind>.txt|.html``, replies going to the
    organiser. ``payload`` is the outbox row's (a reminder's rule, what an
    event change changed). Confirmations, promotions and change notices carry
    the event's .ics and the link to the person's calendar feed; confirmed
    seats, the check-in QR code (``checkin/attachments.py``). Every e-mail
    has a ``List-Unsubscribe`` header that stops reminders (only)."""
    kind = EmailKind(kind)
    payload = payload or {}
    context = email_context(kind, registration)
    context["subject"] = subject_for(kind, registration.event.title)
    context["stop_reminders_url"] = stop_reminders_url(registration)
    if kind == EmailKind.REMINDER:
        context["subject"], context["reminder_body"] = _reminder_texts(payload, registration)
    if kind == EmailKind.ORGANISER_MESSAGE:
        # Imported here: the admin package imports this module's callers.
        from eventsapp.admin.messages_service import message_texts

        context["subject"], context["message_body"] = message_texts(payload, registration)
    context["changes"] = payload.get("changes") or []
    context["cancellation_reason"] = payload.get("reason") or ""
    with_calendar = kind in CALENDAR_KINDS
    if with_calendar:
        # Makes the person's feed on first use (this write commits with the
        # delivery of the e-mail): the link must work when the e-mail arrives.
        context["calendar_feed_url"] = personal_feed_url(ensure_feed(registration.email))
    # Confirmed seats carry the check-in QR code staff scan at the door.
    with_checkin_qr = wants_checkin_qr(kind, registration)
    if with_checkin_qr:
        context.update(checkin_email_context(registration))
    message = Message(
        subject=context["subject"],
        recipients=[recipient or registration.email],
        body=_tidy_text(render_template(f"notifications/{kind.value}.txt", **context)),
        html=render_template(f"notifications/{kind.value}.html", **context),
        sender=current_app.config["MAIL_DEFAULT_SENDER"],
        reply_to=context["organiser"]["email"] or None,
        extra_headers={
            # RFC 3834: no out-of-office replies to a robot.
            "Auto-Submitted": "auto-generated",
            # RFC 2369 and 8058: mail clients offer "unsubscribe", which
            # stops this registration's reminders with one POST.
            "List-Unsubscribe": f"<{context['stop_reminders_url']}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    if with_calendar:
        attach_registration_calendar(message, registration)
    if with_checkin_qr:
        attach_checkin_qr(message, context["checkin_url"], context["checkin_qr_cid"])
    return message


# Sending -------------------------------------------------------------------


class _SMTPConnection(Connection):
    """Flask-Mail's SMTP connection, with a timeout and the settings read now."""

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


def send_message(message: Message, connection: Connection | BatchConnection | None = None) -> None:
    """Send ``message`` through ``connection``, or a new one of the configured
    backend. SMTP errors (``smtplib.SMTPException``, ``OSError``) propagate."""
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
            if is_connection_failure(error) or not isinstance(error, Exception):
                self.close()
            raise

    def close(self) -> None:
        stack, self._stack, self._connection = self._stack, None, None
        if stack is not None:
            stack.close()


def message_id_domain() -> str:
    """The domain of outbox Message-IDs: the sender's (``MAIL_DEFAULT_SENDER``),
    else ``PUBLIC_URL``'s host."""
    config = current_app.config
    sender = config.get("MAIL_DEFAULT_SENDER") or ""
    address = sender[1] if isinstance(sender, tuple) else parseaddr(sender)[1]
    domain = address.rpartition("@")[2].strip()
    if not domain:
        domain = urlsplit(config.get("PUBLIC_URL") or "").hostname or "localhost"
    return domain


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


# The dev mailbox's files ---------------------------------------------------


@dataclass(frozen=True)
class MailboxEntry:
    name: str
    date: datetime | None
    recipient: str
    subject: str


@dataclass(frozen=True)
class MailboxMessage:
    entry: MailboxEntry
    sender: str
    reply_to: str
    html: str | None
    text: str | None


def _entry(name: str, parsed: EmailMessage) -> MailboxEntry:
    date_header = parsed["date"]
    return MailboxEntry(
        name=name,
        date=getattr(date_header, "datetime", None),
        recipient=str(parsed["to"] or ""),
        subject=str(parsed["subject"] or ""),
    )


def mailbox_entries(directory: Path, limit: int = 200) -> list[MailboxEntry]:
    """The newest ``limit`` messages written by the file backend, newest first."""
    if not directory.is_dir():
        return []
    paths = [path for path in directory.glob("*.eml") if path.is_file() and MAILBOX_NAME.match(path.name)]
    paths.sort(key=lambda path: (path.stat().st_mtime, path.name), reverse=True)
    parser = BytesParser(policy=policy.default)
    entries = []
    for path in paths[:limit]:
        with path.open("rb") as handle:
            entries.append(_entry(path.name, parser.parse(handle, headersonly=True)))
    return entries


def read_mailbox_message(directory: Path, name: str) -> MailboxMessage | None:
    """The message ``name`` of the file backend, or None if there is none."""
    if not MAILBOX_NAME.match(name):
        return None
    path = directory / name
    if not path.is_file():
        return None
    parsed = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    html_part = parsed.get_body(preferencelist=("html",))
    text_part = parsed.get_body(preferencelist=("plain",))
    return MailboxMessage(
        entry=_entry(name, parsed),
        sender=str(parsed["from"] or ""),
        reply_to=str(parsed["reply-to"] or ""),
        html=html_part.get_content() if html_part is not None else None,
        text=text_part.get_content() if text_part is not None else None,
    )
