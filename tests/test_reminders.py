"""Reminders: rules and their due times, the scan (who gets what, once, on
time or not at all), the event moving or being cancelled, the notices that
tell people, and the link that stops reminders. Time is injected (``now=``),
never slept; e-mails are sent with ``deliver_email`` inside the rolled-back
test transaction."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from eventsapp.catalog.models import Event
from eventsapp.catalog.service import cancel_event, create_event, update_event
from eventsapp.catalog.vocabulary import EventKind, EventStatus
from eventsapp.extensions import db, mail
from eventsapp.notifications.locks import objects_kept_across_commits, preload_emails
from eventsapp.notifications.models import EmailKind, OutboxMessage, OutboxStatus
from eventsapp.notifications.service import DeliveryOutcome, deliver_email
from eventsapp.registrations.links import registration_page_url
from eventsapp.registrations.models import Registration, RegistrationStatus
from eventsapp.reminders.links import stop_reminders_url, stop_token
from eventsapp.reminders.models import DeliveryStatus, ReminderAnchor, ReminderAudience, ReminderDelivery
from eventsapp.reminders.scan import scan_due_reminders
from eventsapp.reminders.service import InvalidReminderRule, add_reminder_rule, compute_due_at, event_rules
from eventsapp.reminders.texts import render_reminder
from tests.factories import EventFactory, OrganisationFactory, RegistrationFactory

PARIS_18H = datetime(2026, 11, 1, 17, 0, tzinfo=UTC)  # Sunday 1 November 2026, 18:00 in Paris


def outbox(kind: EmailKind = EmailKind.REMINDER) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.email_kind == kind).order_by(OutboxMessage.id)
        )
    )


def send_all(kind: EmailKind = EmailKind.REMINDER) -> list:
    """Deliver every outbox e-mail of ``kind``; the messages that left."""
    with mail.record_messages() as sent:
        for row in outbox(kind):
            deliver_email(row.id)
    return sent


def event_with_rule(days: int = 1, **event_fields):
    event = EventFactory(**event_fields)
    rule = add_reminder_rule(event, days=days, local_time=time(9, 0))
    return event, rule


def registered(event, minutes_before_due: int = 60, due_at=None, **fields):
    """A registration made well before the rule's due time (the default)."""
    reference = due_at or event.starts_at
    return RegistrationFactory(
        event=event, created_at=reference - timedelta(minutes=minutes_before_due), **fields
    )


# Due times -------------------------------------------------------------------


def test_due_times_keep_the_local_hour_across_the_change_to_winter_time(db_session):
    event = EventFactory(starts_at=PARIS_18H, ends_at=PARIS_18H + timedelta(hours=2))
    # 25 October 2026, the day clocks go back: 9:00 in Paris is 8:00 UTC…
    assert compute_due_at(event, ReminderAnchor.BEFORE_START, 7 * 24 * 60, time(9, 0)) == datetime(
        2026, 10, 25, 8, 0, tzinfo=UTC
    )
    # …and the day before, still summer time, 7:00 UTC.
    assert compute_due_at(event, ReminderAnchor.BEFORE_START, 8 * 24 * 60, time(9, 0)) == datetime(
        2026, 10, 24, 7, 0, tzinfo=UTC
    )
    assert compute_due_at(event, ReminderAnchor.BEFORE_START, 90, None) == PARIS_18H - timedelta(minutes=90)
    # A thank-you the day after the end, at 10:00.
    assert compute_due_at(event, ReminderAnchor.AFTER_END, 24 * 60, time(10, 0)) == datetime(
        2026, 11, 2, 9, 0, tzinfo=UTC
    )


def test_a_new_event_gets_j_minus_7_and_j_minus_1_at_nine(db_session):
    organisation = OrganisationFactory()
    event = create_event(
        organisation,
        title="Petit-déjeuner de l'ESS",
        kind=EventKind.CINE_DEBAT,
        starts_at=PARIS_18H,
        ends_at=PARIS_18H + timedelta(hours=2),
        status=EventStatus.PUBLISHED,
    )
    rules = event_rules(event.id)
    assert [(rule.offset_minutes // (24 * 60), rule.local_time) for rule in rules] == [
        (7, time(9)),
        (1, time(9)),
    ]
    assert [rule.audience for rule in rules] == [ReminderAudience.CONFIRMED] * 2
    assert rules[1].due_at == datetime(2026, 10, 31, 8, 0, tzinfo=UTC)  # Saturday 9:00, winter time


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"subject": "Rappel {evenemnt}"}, "subject", "Champ inconnu : {evenemnt}"),
        ({"body": "Bonjour {prenom"}, "body", "Une accolade n'est pas fermée"),
        ({"body": "Bonjour {prenom:>2000000000}"}, "body", "Champ inconnu : {prenom:>2000000000}"),
        ({"subject": "Rappel {prenom!r}"}, "subject", "Champ inconnu : {prenom!r}"),
        ({"body": "Bonjour prenom}"}, "body", "Une accolade n'est pas fermée"),
        ({"body": "Votre avis : {questionnaire}"}, "survey_url", "Indiquez l'adresse du questionnaire"),
        ({"subject": "   "}, "subject", "Ce texte ne peut pas être vide."),
        ({"days": -1}, "offset", "Un délai ne peut pas être négatif."),
        ({"hours": 2, "local_time": time(9)}, "offset", "indiquez le délai en jours seulement"),
        ({"survey_url": "javascript:alert(1)"}, "survey_url", "doit commencer par https://"),
    ],
)
def test_a_bad_rule_is_refused_in_french_and_nothing_is_stored(db_session, changes, field, message):
    event = EventFactory()
    with pytest.raises(InvalidReminderRule) as refused:
        add_reminder_rule(event, **{"days": 1, **changes})
    assert refused.value.field == field
    assert message in refused.value.message
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReminderDelivery)) == 0


# The scan --------------------------------------------------------------------


def test_a_due_reminder_reaches_confirmed_people_registered_before_it_once(db_session):
    event, rule = event_with_rule(
        title="Forum de l'ESS", starts_at=PARIS_18H, ends_at=PARIS_18H + timedelta(hours=3)
    )
    confirmed = registered(event, due_at=rule.due_at, first_name="Aïssata")
    registered(event, due_at=rule.due_at, status=RegistrationStatus.WAITLISTED, waitlist_position=1)
    registered(event, due_at=rule.due_at, status=RegistrationStatus.CANCELLED)
    registered(event, due_at=rule.due_at, reminders_stopped_at=rule.due_at - timedelta(days=1))
    late_comer = RegistrationFactory(event=event, created_at=rule.due_at + timedelta(minutes=5))

    assert scan_due_reminders(now=rule.due_at - timedelta(minutes=1)).queued == 0  # not yet
    result = scan_due_reminders(now=rule.due_at + timedelta(minutes=10))
    assert (result.rules_handled, result.queued) == (1, 1)
    assert scan_due_reminders(now=rule.due_at + timedelta(minutes=20)).queued == 0  # never twice

    [row] = outbox()
    assert row.registration_id == confirmed.id != late_comer.id
    [message] = send_all()
    assert message.subject == "Rappel : « Forum de l'ESS », c'est demain"
    assert message.recipients == [confirmed.email]
    assert "Vous êtes inscrit·e à « Forum de l'ESS », le dimanche 1er novembre 2026, 18 h" in message.body
    assert "Lieu : Cinéma Le Vox, 12 rue de la Paix, 53000 Laval" in message.body
    # {lien}: the person's own link (the mailer passes the one it computed).
    assert f"à quelqu'un d'autre : {registration_page_url(confirmed)}\n" in message.body
    assert message.extra_headers["List-Unsubscribe"] == f"<{stop_reminders_url(confirmed)}>"
    assert deliver_email(row.id) == DeliveryOutcome.ALREADY_DONE


def test_a_waiting_list_rule_reaches_only_the_waiting_list(db_session):
    event = EventFactory()
    rule = add_reminder_rule(
        event,
        days=2,
        audience=ReminderAudience.WAITLISTED,
        subject="Toujours sur liste d'attente pour {evenement}",
        body="Nous vous préviendrons si une place se libère.",
    )
    registered(event, due_at=rule.due_at)
    waiting = registered(event, due_at=rule.due_at, status=RegistrationStatus.WAITLISTED, waitlist_position=1)
    assert scan_due_reminders(now=rule.due_at).queued == 1
    [message] = send_all()
    assert message.recipients == [waiting.email]
    assert "Nous vous préviendrons si une place se libère." in message.body


def test_a_reminder_found_too_late_is_missed_not_sent(db_session, app, monkeypatch):
    event, rule = event_with_rule(days=2)
    registered(event, due_at=rule.due_at)
    result = scan_due_reminders(now=rule.due_at + timedelta(hours=6, minutes=1))
    assert (result.queued, result.missed) == (0, 1)
    assert outbox() == []
    [delivery] = db.session.scalars(sa.select(ReminderDelivery)).all()
    assert (delivery.status, delivery.reason) == (DeliveryStatus.MISSED, "too late")

    # The delay is a setting; past the start, a "before" reminder is always late.
    monkeypatch.setitem(app.config, "REMINDER_MAX_LATE_MINUTES", 10 * 24 * 60)
    other, other_rule = event_with_rule(days=1)
    registered(other, due_at=other_rule.due_at)
    assert scan_due_reminders(now=other.starts_at + timedelta(minutes=1)).missed == 1
    assert outbox() == []


def test_a_thank_you_after_the_event_carries_the_survey_link(db_session):
    event = EventFactory()
    rule = add_reminder_rule(
        event,
        anchor=ReminderAnchor.AFTER_END,
        days=1,
        local_time=time(10),
        survey_url="https://exemple.org/avis",
    )
    person = registered(event)
    assert rule.due_at > event.ends_at
    assert scan_due_reminders(now=rule.due_at + timedelta(minutes=1)).queued == 1
    [message] = send_all()
    assert message.subject == f"Merci d'être venu·e à « {event.title} »"
    assert "https://exemple.org/avis" in message.body
    assert message.recipients == [person.email]


def test_someone_who_cancels_after_the_scan_gets_nothing(db_session):
    event, rule = event_with_rule()
    person = registered(event, due_at=rule.due_at)
    scan_due_reminders(now=rule.due_at)
    person.status = RegistrationStatus.CANCELLED
    db.session.flush()
    assert send_all() == []
    [row] = outbox()
    assert row.status == OutboxStatus.CANCELLED
    assert row.last_error == "not sent: registration cancelled"


@pytest.mark.parametrize("rows_say_they_changed", [True, False], ids=["updated-at", "raw-sql"])
def test_a_batch_reads_again_under_the_lock_what_changed_since_it_was_loaded(
    db_session, rows_say_they_changed
):
    """A batch of e-mails is loaded once (``preload_emails``); a person who
    cancelled, stopped reminders or was erased, or whose event was cancelled
    or renamed after that, gets nothing, or the new name. Changes made
    through the app raise the rows' ``updated_at`` (the batch then reloads
    them); even without it (raw SQL) the statuses that decide are read
    again under the row lock."""
    event, rule = event_with_rule()
    cancels, stops, anonymised, erased, unchanged, renames_self = (
        registered(event, due_at=rule.due_at) for _ in range(6)
    )
    other_event, other_rule = event_with_rule()
    in_cancelled_event = registered(other_event, due_at=other_rule.due_at)
    renamed_event, renamed_rule = event_with_rule()
    in_renamed_event = registered(renamed_event, due_at=renamed_rule.due_at)
    scan_due_reminders(now=max(rule.due_at, other_rule.due_at, renamed_rule.due_at))
    ids = [row.id for row in outbox()]
    assert len(ids) == 8

    def change(model, row_id: int, **values):  # noqa: ANN001, ANN202
        if not rows_say_they_changed:
            values["updated_at"] = model.updated_at  # as raw SQL would leave it
        return sa.update(model).where(model.id == row_id).values(**values)

    statements = [
        change(Registration, cancels.id, status=RegistrationStatus.CANCELLED),
        change(Registration, stops.id, reminders_stopped_at=rule.due_at),
        change(Registration, anonymised.id, anonymised_at=rule.due_at),
        sa.update(OutboxMessage)
        .where(OutboxMessage.registration_id == erased.id)
        .values(status=OutboxStatus.FAILED, recipient=None),
        change(Event, other_event.id, status=EventStatus.CANCELLED),
    ]
    if rows_say_they_changed:
        statements += [
            change(Registration, renames_self.id, first_name="Aïssata"),
            change(Event, renamed_event.id, title="Forum de l'ESS, nouvelle formule"),
        ]
    with mail.record_messages() as sent, objects_kept_across_commits():
        preload_emails(ids)
        # Other requests' changes, behind the loaded objects' back (not
        # synchronised into them, as another process's commit would not be).
        for statement in statements:
            db.session.execute(statement, execution_options={"synchronize_session": False})
        outcomes = [deliver_email(message_id, preloaded=True) for message_id in ids]
    by_recipient = {message.recipients[0]: message for message in sent}
    assert sorted(by_recipient) == sorted([unchanged.email, renames_self.email, in_renamed_event.email])
    assert len(sent) == outcomes.count(DeliveryOutcome.SENT) == 3
    if rows_say_they_changed:
        assert "Bonjour Aïssata" in by_recipient[renames_self.email].body
        assert "Forum de l'ESS, nouvelle formule" in by_recipient[in_renamed_event.email].subject
    rows = outbox()
    reasons = {row.registration_id: row.last_error for row in rows if row.status == OutboxStatus.CANCELLED}
    assert reasons == {
        cancels.id: "not sent: registration cancelled",
        stops.id: "not sent: reminders stopped",
        in_cancelled_event.id: "not sent: event cancelled",
    }
    failed = {row.registration_id: row.last_error for row in rows if row.status == OutboxStatus.FAILED}
    assert failed[anonymised.id] == "registration erased or deleted: not sent"
    assert set(failed) == {anonymised.id, erased.id}


# The event moves or is cancelled ---------------------------------------------------


def test_an_event_moved_by_a_week_reminds_at_the_new_times_never_the_old(db_session):
    event, rule = event_with_rule(days=1)
    person = registered(event, due_at=rule.due_at)
    old_due = rule.due_at
    update_event(
        event, starts_at=event.starts_at + timedelta(days=7), ends_at=event.ends_at + timedelta(days=7)
    )
    assert rule.due_at == old_due + timedelta(days=7)

    assert scan_due_reminders(now=old_due + timedelta(minutes=1)).queued == 0
    assert outbox() == []
    assert scan_due_reminders(now=rule.due_at + timedelta(minutes=1)).queued == 1
    [message] = send_all()
    assert message.recipients == [person.email]


def test_a_move_after_the_rule_was_expanded_voids_its_unsent_reminders(db_session):
    event, rule = event_with_rule(days=1)
    registered(event, due_at=rule.due_at)
    old_due = rule.due_at
    # Expanded but not queued (the queue step found a full batch elsewhere).
    scan_due_reminders(now=old_due, queue_batch=0)
    assert db.session.scalar(sa.select(ReminderDelivery.status)) == DeliveryStatus.DUE
    update_event(
        event, starts_at=event.starts_at + timedelta(days=7), ends_at=event.ends_at + timedelta(days=7)
    )
    assert scan_due_reminders(now=old_due + timedelta(minutes=5)).queued == 0
    statuses = db.session.scalars(sa.select(ReminderDelivery.status).order_by(ReminderDelivery.id)).all()
    assert statuses == [DeliveryStatus.SKIPPED]
    assert scan_due_reminders(now=rule.due_at).queued == 1
    assert len(outbox()) == 1


def test_moving_an_event_tells_everyone_concerned_once_with_before_and_after(db_session):
    event = EventFactory(
        title="Journée de l'ESS", starts_at=PARIS_18H, ends_at=PARIS_18H + timedelta(hours=2)
    )
    confirmed = registered(event)
    waiting = registered(event, status=RegistrationStatus.WAITLISTED, waitlist_position=1)
    registered(event, status=RegistrationStatus.CANCELLED)
    update_event(
        event,
        starts_at=PARIS_18H + timedelta(days=1),
        ends_at=PARIS_18H + timedelta(days=1, hours=2),
        venue_name="Salle polyvalente",
        title="Journée de l'ESS 2026",
    )
    rows = outbox(EmailKind.EVENT_CHANGED)
    assert sorted(row.registration_id for row in rows) == sorted([confirmed.id, waiting.id])
    sent = send_all(EmailKind.EVENT_CHANGED)
    assert len(sent) == 2
    body = sent[0].body
    assert "Date et horaire" in body
    assert "avant : dimanche 1er novembre 2026, 18 h – 20 h" in body
    assert "désormais : lundi 2 novembre 2026, 18 h – 20 h" in body
    assert "avant : Cinéma Le Vox, 12 rue de la Paix, 53000 Laval" in body
    assert "désormais : Salle polyvalente, 12 rue de la Paix, 53000 Laval" in body
    assert sent[0].attachments  # the moved event's .ics

    # A change that does not move it tells nobody; a draft tells nobody.
    update_event(event, summary="Un nouveau résumé")
    draft = EventFactory(status=EventStatus.DRAFT)
    registered(draft)
    update_event(
        draft, starts_at=draft.starts_at + timedelta(hours=1), ends_at=draft.ends_at + timedelta(hours=1)
    )
    assert len(outbox(EmailKind.EVENT_CHANGED)) == 2


def test_cancelling_an_event_apologises_and_stops_its_reminders(db_session):
    event, rule = event_with_rule(contact_email="camille@exemple.org")
    confirmed = registered(event, due_at=rule.due_at)
    waiting = registered(event, due_at=rule.due_at, status=RegistrationStatus.WAITLISTED, waitlist_position=1)
    pending = registered(
        event,
        due_at=rule.due_at,
        status=RegistrationStatus.PENDING,
        pending_expires_at=event.starts_at - timedelta(days=1),
    )
    cancel_event(event, "La salle est fermée pour travaux.")
    cancel_event(event, "Deuxième clic")  # already cancelled: nothing more
    sent = send_all(EmailKind.EVENT_CANCELLED)
    assert sorted(message.recipients[0] for message in sent) == sorted(
        [confirmed.email, waiting.email, pending.email]
    )
    body = sent[0].body
    assert "Nous sommes désolés" in body
    assert "La salle est fermée pour travaux." in body
    assert "camille@exemple.org" in body
    assert scan_due_reminders(now=rule.due_at).queued == 0
    assert outbox() == []


# Stopping reminders ----------------------------------------------------------


def test_the_stop_link_asks_first_then_stops_reminders_only(db_session, client):
    event, rule = event_with_rule()
    person = registered(event, due_at=rule.due_at)
    url = f"/reminders/stop/{stop_token(person)}"
    page = client.get(url)
    assert page.status_code == 200
    assert "Ne plus recevoir de rappels" in page.get_data(as_text=True)
    assert person.reminders_stopped_at is None  # a GET changes nothing
    assert page.headers["Cache-Control"] == "private, no-store"

    stopped = client.post(url)
    assert stopped.status_code == 200
    assert "Vous ne recevrez plus de rappels" in stopped.get_data(as_text=True)
    db.session.refresh(person)
    assert person.reminders_stopped_at is not None
    assert person.status == RegistrationStatus.CONFIRMED
    assert scan_due_reminders(now=rule.due_at).queued == 0


def test_one_click_unsubscribe_works_without_a_csrf_token(db_session, client, app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    person = registered(EventFactory())
    response = client.post(
        f"/reminders/stop/{stop_token(person)}",
        data={"List-Unsubscribe": "One-Click"},
    )
    assert response.status_code == 200
    db.session.refresh(person)
    assert person.reminders_stopped_at is not None


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", "List-Unsubscribe=One-Click"),  # fetch()'s default, as some clients send it
        ("text/plain", ""),
        ("application/octet-stream", ""),
        (None, ""),  # no body at all
        ("application/x-www-form-urlencoded; charset=UTF-8", "List-Unsubscribe=One-Click"),
    ],
)
def test_one_click_unsubscribe_whatever_body_the_mail_client_sends(db_session, client, content_type, body):
    """RFC 8058 asks for a form body; clients have sent others. The POST itself
    is the request: reminders stop."""
    person = registered(EventFactory())
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post(f"/reminders/stop/{stop_token(person)}", data=body, headers=headers)
    assert response.status_code == 200
    db.session.refresh(person)
    assert person.reminders_stopped_at is not None


@pytest.mark.parametrize("token", ["nimportequoi", "W1siYSJdXQ.abc", "x" * 300])
def test_a_forged_stop_link_is_a_404(db_session, client, token):
    assert client.get(f"/reminders/stop/{token}").status_code == 404
    assert client.post(f"/reminders/stop/{token}").status_code == 404


# The command -----------------------------------------------------------------


def test_the_command_shows_what_is_due_and_what_failed(db_session, app):
    event, rule = event_with_rule(title="Salon de l'ESS")
    registered(event, due_at=rule.due_at)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["reminders", "status", "--hours", str(24 * 400)])
    assert result.exit_code == 0, result.output
    assert "Salon de l'ESS" in result.output
    assert "1 destinataire(s)" in result.output
    assert "E-mails en échec" in result.output


def test_default_texts_match_the_offset(db_session):
    event = EventFactory(title="Forum")
    assert (
        add_reminder_rule(event, days=1, local_time=time(9)).subject
        == "Rappel : « {evenement} », c'est demain"
    )
    assert add_reminder_rule(event, days=7).subject == "Rappel : « {evenement} » dans 7 jours"
    assert add_reminder_rule(event, hours=2).subject == "Rappel : « {evenement} » approche"
    assert add_reminder_rule(event, minutes=30).subject == "Rappel : « {evenement} » approche"
    thanks = add_reminder_rule(event, anchor=ReminderAnchor.AFTER_END, days=1)
    assert thanks.subject == "Merci d'être venu·e à « {evenement} »"
    assert "{questionnaire}" not in thanks.body


def test_a_stored_text_with_a_format_spec_is_sent_as_typed_never_expanded(db_session):
    """Only {name} is filled in: a width such as {prenom:>2000000000}, if it
    ever reached the database, must not build a huge e-mail."""
    event, rule = event_with_rule(days=1)
    rule.body = "Bonjour {prenom:>2000000000} {prenom}, à bientôt à {lieu} !"
    person = registered(event, due_at=rule.due_at, first_name="Inès")
    subject, body = render_reminder(rule, person)
    assert (
        body
        == "Bonjour {prenom:>2000000000} Inès, à bientôt à Cinéma Le Vox, 12 rue de la Paix, 53000 Laval !"
    )


def test_a_pending_registration_cannot_be_confirmed_once_the_event_is_cancelled(db_session):
    from eventsapp.registrations.service import RegistrationClosed, confirm_pending

    event = EventFactory()
    pending = registered(
        event, status=RegistrationStatus.PENDING, pending_expires_at=event.starts_at - timedelta(days=1)
    )
    cancel_event(event, "Intempéries.")
    with pytest.raises(RegistrationClosed, match="annulé"):
        confirm_pending(pending.id)
    assert pending.status == RegistrationStatus.PENDING
    assert outbox(EmailKind.CONFIRMATION) == []
