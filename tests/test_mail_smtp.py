"""The e-mails themselves: what each kind says (French, the event's date in
its time zone, place, private link, organiser), and how they travel through
SMTP, against a real local server (aiosmtpd): what arrives, a permanent
refusal (no retry), a server down or busy (retried); and a real worker
process sending what the web process committed."""

from __future__ import annotations

import html
import re
import socket
import time
from collections.abc import Iterator
from datetime import timedelta
from email import policy
from email.parser import BytesParser

import pytest
from aiosmtpd.controller import Controller
from flask_migrate import upgrade

from eventsapp import create_app
from eventsapp.config import Config
from eventsapp.extensions import db
from eventsapp.notifications.mailer import compose_email
from eventsapp.notifications.models import OutboxMessage, OutboxStatus
from eventsapp.notifications.service import EmailKind, enqueue_email
from eventsapp.notifications.tasks import send_email
from eventsapp.registrations.links import registration_page_url
from eventsapp.registrations.models import RegistrationStatus
from eventsapp.reminders.links import stop_reminders_url
from eventsapp.reminders.service import add_reminder_rule
from tests.factories import RegistrationFactory
from tests.test_notifications import STARTS_AT, make_registration
from tests.workers import CeleryWorker, instance_environment, preserved_celery_current_app


def visible_text(markup: str) -> str:
    """What an HTML e-mail reads as: tags dropped, entities decoded, spaces folded."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


# What the e-mails say ----------------------------------------------------

SUBJECTS = {
    EmailKind.CONFIRMATION: "Inscription confirmée",
    EmailKind.WAITLISTED: "Liste d'attente",
    EmailKind.PROMOTED: "Une place s'est libérée pour vous",
    EmailKind.PENDING_CONFIRMATION: "Confirmez votre inscription",
    EmailKind.CANCELLED: "Inscription annulée",
    EmailKind.ALREADY_REGISTERED: "Vous êtes déjà inscrit·e",
    EmailKind.REMINDER: "Rappel",  # the rule's own subject, below
    EmailKind.EVENT_CHANGED: "Changement d'horaire ou de lieu",
    EmailKind.EVENT_CANCELLED: "Événement annulé",
    EmailKind.ORGANISER_MESSAGE: "Message de l'organisateur",  # the organiser's own subject, below
}


def payload_for(kind: EmailKind, registration) -> dict:
    """What the outbox row of ``kind`` carries (a reminder's rule, a change)."""
    if kind == EmailKind.REMINDER:
        rule = add_reminder_rule(registration.event, days=1, subject="Rappel – {evenement}")
        return {"rule_id": rule.id}
    if kind == EmailKind.EVENT_CHANGED:
        return {"changes": [{"what": "Lieu", "before": "Salle A", "after": "Cinéma Le Vox"}]}
    if kind == EmailKind.EVENT_CANCELLED:
        return {"reason": "La salle est fermée pour travaux."}
    if kind == EmailKind.ORGANISER_MESSAGE:  # a preview's payload: the texts themselves
        return {"subject": "Message de l'organisateur – {evenement}", "body": "Apportez un pull."}
    return {}


STATUSES = {
    EmailKind.WAITLISTED: RegistrationStatus.WAITLISTED,
    EmailKind.PENDING_CONFIRMATION: RegistrationStatus.PENDING,
    EmailKind.CANCELLED: RegistrationStatus.CANCELLED,
}


@pytest.mark.parametrize("kind", list(EmailKind))
def test_each_email_says_when_where_how_to_reach_the_page_and_the_organiser(db_session, kind):
    registration = make_registration(
        status=STATUSES.get(kind, RegistrationStatus.CONFIRMED),
        seats=2,
        pending_expires_at=STARTS_AT - timedelta(days=3),
    )
    message = compose_email(kind, registration, payload=payload_for(kind, registration))
    text, page = message.body, visible_text(message.html)
    assert message.extra_headers["List-Unsubscribe"] == f"<{stop_reminders_url(registration)}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.subject == f"{SUBJECTS[kind]} – Ciné-débat « Demain »"
    assert message.recipients == [registration.email]
    assert message.reply_to == "camille@exemple.org"
    page_url = registration_page_url(registration)
    for body in (text, page):
        assert "Bonjour Dominique Lefèvre," in body
        assert "mardi 19 novembre 2030, 18 h 30 – 20 h 30 (heure de Paris)" in body
        for expected in (
            "Cinéma Le Vox",
            "12 rue de la Paix",
            "53000 Laval",
            page_url,
            "Nombre de places : 2",
        ):
            assert expected in body
        for expected in ("Club ESS de Laval", "Camille Martin", "camille@exemple.org", "02 43 00 00 00"):
            assert expected in body
    # The pending e-mail's button leads to the page's confirmation step.
    assert f'href="{page_url}"' in message.html or f'href="{page_url}/confirm"' in message.html
    if kind == EmailKind.PENDING_CONFIRMATION:
        assert "Confirmer mon inscription" in text
        assert "réservées jusqu'au samedi 16 novembre 2030, 18 h 30" in text


def test_the_waiting_list_email_gives_the_position(db_session):
    first = make_registration(status=RegistrationStatus.WAITLISTED, waitlist_position=1)
    RegistrationFactory(event=first.event, status=RegistrationStatus.WAITLISTED, waitlist_position=2)
    third = RegistrationFactory(event=first.event, status=RegistrationStatus.WAITLISTED, waitlist_position=5)
    assert "Votre position sur la liste d'attente : 3." in compose_email(EmailKind.WAITLISTED, third).body


def test_times_are_given_in_the_events_time_zone(db_session):
    registration = make_registration(event__timezone="America/Martinique")
    text = compose_email(EmailKind.CONFIRMATION, registration).body
    assert "mardi 19 novembre 2030, 13 h 30 – 15 h 30 (heure de la Martinique)" in text


# Through SMTP ------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SMTPRecorder:
    """An aiosmtpd handler that keeps what it receives, or answers with the
    replies queued in ``rcpt_replies`` / ``data_replies`` first."""

    def __init__(self) -> None:
        self.envelopes: list = []
        self.rcpt_calls = 0
        self.rcpt_replies: list[str] = []
        self.data_replies: list[str] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        self.rcpt_calls += 1
        if self.rcpt_replies:
            return self.rcpt_replies.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if self.data_replies:
            return self.data_replies.pop(0)
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_app(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "smtp")
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_TIMEOUT", 5)
    return app


@pytest.fixture
def smtp_server(smtp_app, monkeypatch) -> Iterator[SMTPRecorder]:
    recorder = SMTPRecorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    monkeypatch.setitem(smtp_app.config, "MAIL_PORT", controller.port)
    try:
        yield recorder
    finally:
        controller.stop()


def enqueued(kind: EmailKind = EmailKind.CONFIRMATION) -> tuple[int, str, str]:
    registration = make_registration()
    message_id = enqueue_email(kind, registration)
    return message_id, registration.email, registration_page_url(registration)


def row(message_id: int) -> OutboxMessage:
    db.session.expire_all()
    return db.session.get(OutboxMessage, message_id)


def test_the_message_reaches_the_smtp_server(db_session, smtp_server):
    message_id, address, page_url = enqueued()
    send_email.delay(message_id)

    [envelope] = smtp_server.envelopes
    assert envelope.mail_from == "ne-pas-repondre@eventsapp.localhost"
    assert envelope.rcpt_tos == [address]
    received = BytesParser(policy=policy.default).parsebytes(envelope.original_content)
    assert received["Subject"] == "Inscription confirmée – Ciné-débat « Demain »"
    assert received["To"] == address
    assert received["From"] == "eventsapp <ne-pas-repondre@eventsapp.localhost>"
    assert received["Reply-To"] == "camille@exemple.org"
    assert received["Auto-Submitted"] == "auto-generated"
    # Mail clients read List-Unsubscribe as written: the URL itself, never
    # an RFC 2047 encoded word (what the SMTP policy made of it), on one line.
    raw_headers = envelope.original_content.split(b"\r\n\r\n", 1)[0].decode("ascii")
    [unsubscribe] = [line for line in raw_headers.split("\r\n") if line.startswith("List-Unsubscribe:")]
    assert unsubscribe == f"List-Unsubscribe: <{received['List-Unsubscribe'].strip('<>')}>"
    assert "/reminders/stop/" in unsubscribe and "=?" not in unsubscribe
    assert max(len(line) for line in raw_headers.split("\r\n")) <= 998
    text = received.get_body(preferencelist=("plain",)).get_content()
    page = received.get_body(preferencelist=("html",)).get_content()
    assert "Votre inscription à « Ciné-débat « Demain » » est confirmée." in text
    assert "mardi 19 novembre 2030, 18 h 30 – 20 h 30 (heure de Paris)" in text
    assert f'href="{page_url}"' in page and '<html lang="fr">' in page

    sent = row(message_id)
    assert (sent.status, sent.attempts, sent.last_error) == (OutboxStatus.SENT, 1, None)
    send_email.delay(message_id)
    assert len(smtp_server.envelopes) == 1


@pytest.mark.parametrize(
    ("phase", "reply", "expected"),
    [
        ("rcpt", "550 5.1.1 Adresse inconnue", "550"),
        ("data", "554 5.7.1 Message refuse", "554"),
    ],
)
def test_a_permanent_refusal_marks_the_row_failed_without_retry(
    db_session, smtp_server, phase, reply, expected
):
    getattr(smtp_server, f"{phase}_replies").extend([reply] * 10)
    message_id, _address, _url = enqueued()
    send_email.delay(message_id)

    failed = row(message_id)
    assert failed.status == OutboxStatus.FAILED
    assert failed.attempts == 1
    assert expected in failed.last_error
    assert smtp_server.rcpt_calls == 1
    assert smtp_server.envelopes == []


def test_a_busy_server_is_retried_until_it_accepts(db_session, smtp_server):
    smtp_server.rcpt_replies.append("451 4.3.0 Réessayez plus tard")
    message_id, address, _url = enqueued(EmailKind.PROMOTED)
    send_email.delay(message_id)

    assert [envelope.rcpt_tos for envelope in smtp_server.envelopes] == [[address]]
    sent = row(message_id)
    assert (sent.status, sent.attempts, sent.last_error) == (OutboxStatus.SENT, 2, None)


def test_a_server_down_is_retried_then_left_to_the_relay(db_session, smtp_app, monkeypatch):
    monkeypatch.setitem(smtp_app.config, "MAIL_PORT", free_port())  # nobody listens there
    monkeypatch.setattr(send_email, "max_retries", 2)
    message_id, _address, _url = enqueued()
    send_email.delay(message_id)  # eager: the retries run at once

    waiting = row(message_id)
    assert waiting.attempts == 3  # the first try and two retries
    assert waiting.status == OutboxStatus.DISPATCHED  # the relay tries again later
    assert "ConnectionRefusedError" in waiting.last_error


def test_attempts_run_out_and_the_row_is_given_up(db_session, smtp_app, monkeypatch):
    monkeypatch.setitem(smtp_app.config, "MAIL_PORT", free_port())
    monkeypatch.setattr(send_email, "max_retries", 0)
    monkeypatch.setattr("eventsapp.notifications.service.MAX_DELIVERY_ATTEMPTS", 2)
    message_id, _address, _url = enqueued()
    send_email.delay(message_id)
    assert row(message_id).status == OutboxStatus.DISPATCHED
    send_email.delay(message_id)  # as the relay would
    given_up = row(message_id)
    assert (given_up.status, given_up.attempts) == (OutboxStatus.FAILED, 2)
    assert given_up.last_error.startswith("given up after 2 attempts")


def status_now(message_id: int) -> OutboxStatus:
    db.session.rollback()  # a new snapshot: see what the worker committed
    return db.session.get(OutboxMessage, message_id).status


@pytest.mark.worker
def test_a_real_worker_sends_after_the_commit(tmp_path, monkeypatch):
    """The embedded mode end to end: the web process commits a sign-up's
    e-mail and hands it to the filesystem broker; a real worker process
    sends it through SMTP and marks it sent."""
    recorder = SMTPRecorder()
    server = Controller(recorder, hostname="127.0.0.1", port=free_port())
    server.start()
    environment = {
        **instance_environment(tmp_path / "instance", None),
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(server.port),
    }
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("REDIS_URL", raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    worker = CeleryWorker(environment, tmp_path)
    with preserved_celery_current_app():
        app = create_app(Config())
        assert app.config["MAIL_BACKEND"] == "smtp"
        app.extensions["celery"].conf.task_default_queue = worker.queue
        try:
            with app.app_context():
                upgrade()
                worker.start()
                registration = make_registration()
                message_id = enqueue_email(EmailKind.CONFIRMATION, registration)
                db.session.commit()
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline and status_now(message_id) != OutboxStatus.SENT:
                    time.sleep(0.2)
                assert status_now(message_id) == OutboxStatus.SENT, worker.output()
                assert [envelope.rcpt_tos for envelope in recorder.envelopes] == [[registration.email]]
                db.session.remove()
                db.engine.dispose()
        finally:
            worker.stop()
            server.stop()
