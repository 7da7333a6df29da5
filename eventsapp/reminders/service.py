"""Reminder rules and the scan that sends what is due.

Rules
-----
Each event has its rules (by default J-7 and J-1 at 9:00, event's time zone,
for the people holding a seat). A rule's ``due_at`` is computed here from the
event and stored; ``reschedule_event_reminders`` recomputes it when the event
moves (``catalog.service.update_event`` calls it). A rule whose due time
moves after it was handled is handled again at the new time: its
``generation`` goes up, and deliveries of the old time not sent yet are void.

The scan
--------
``scan_due_reminders`` (beat, every minute) does two things, each on rows
locked with ``FOR UPDATE SKIP LOCKED`` so that several workers share the work
without doing it twice (SQLite has no row locks; its write lock serialises
them, and one worker is the embedded setup):

1. *expand* each rule come due into one ``ReminderDelivery`` per person it
   concerns: in the rule's audience then, signed up before the due time
   (someone who signs up after it does not get that reminder), reminders not
   stopped, personal data not erased. A rule found more than ``REMINDER_MAX_LATE``
   late (default 6 h), or a "before" reminder found after the event started,
   is recorded as missed, not sent;
2. *queue* due deliveries in batches: each is checked again (the event may
   have been cancelled or moved, the person may have cancelled), then gets an
   outbox e-mail (``EmailKind.REMINDER``), which leaves after the commit.

No Celery ETA or countdown is used for reminders: a far-future task is lost
with its broker and cannot follow an event that moves.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from eventsapp.catalog.models import Event
from eventsapp.catalog.vocabulary import EventStatus
from eventsapp.db import now_utc
from eventsapp.errors import DomainError
from eventsapp.extensions import db
from eventsapp.formatting import format_moment, format_span
from eventsapp.locking import prepare_write
from eventsapp.notifications.models import EmailKind
from eventsapp.notifications.service import QueuedEmail, enqueue_emails
from eventsapp.registrations.links import registration_page_url
from eventsapp.registrations.models import Registration, RegistrationStatus
from eventsapp.reminders.models import (
    DeliveryStatus,
    ReminderAnchor,
    ReminderAudience,
    ReminderDelivery,
    ReminderRule,
)

DEFAULT_MAX_LATE = timedelta(hours=6)
EXPAND_BATCH = 100
QUEUE_BATCH = 1000
# What a rule's texts may use, in braces: {prenom}, {evenement}…
PLACEHOLDERS = {
    "prenom": "first name",
    "nom": "last name",
    "evenement": "event title",
    "date": "date and time, in the event's time zone",
    "lieu": "place",
    "lien": "the person's own page",
    "questionnaire": "the survey link of a thank-you",
}
# A placeholder: a name in braces, nothing else (no format spec).
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_AUDIENCE_STATUS = {
    ReminderAudience.CONFIRMED: RegistrationStatus.CONFIRMED,
    ReminderAudience.WAITLISTED: RegistrationStatus.WAITLISTED,
}


class InvalidReminderRule(DomainError):
    """A rule the organiser must correct (French message, ``field`` at fault)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


# Default texts ---------------------------------------------------------------


def default_rule_texts(days: int | None) -> tuple[str, str]:
    """Subject and body of the default "J-<days>" reminder (``days`` None:
    an offset in hours or minutes, the subject does not count days)."""
    if days == 1:
        subject = _("Rappel : « {evenement} », c'est demain")
    elif days:
        subject = _("Rappel : « {evenement} » dans %(days)d jours", days=days)
    else:
        subject = _("Rappel : « {evenement} » approche")
    body = _(
        "Vous êtes inscrit·e à « {evenement} », le {date}.\n"
        "Lieu : {lieu}\n\n"
        "Si vous ne pouvez plus venir, annulez votre inscription pour laisser votre place "
        "à quelqu'un d'autre : {lien}\n\n"
        "À bientôt !"
    )
    return subject, body


def default_thanks_texts(with_survey: bool) -> tuple[str, str]:
    """Subject and body of a thank-you sent after the event (asking for the
    person's opinion when there is a survey)."""
    subject = _("Merci d'être venu·e à « {evenement} »")
    if with_survey:
        return subject, _(
            "Merci d'avoir participé à « {evenement} ».\n"
            "Votre avis nous aide à préparer les prochains événements : {questionnaire}\n\n"
            "À bientôt !"
        )
    return subject, _("Merci d'avoir participé à « {evenement} ».\n\nÀ bientôt !")


# Due times -------------------------------------------------------------------


def compute_due_at(
    event: Event, anchor: ReminderAnchor, offset_minutes: int, local_time: time | None
) -> datetime:
    """When a rule is due for ``event``: ``offset_minutes`` before its start
    (or after its end); with ``local_time``, whole days before (or after) at
    that time of day in the event's time zone, whatever the summer/winter
    change in between."""
    zone = event.zone
    base = event.starts_at if anchor == ReminderAnchor.BEFORE_START else event.ends_at
    sign = -1 if anchor == ReminderAnchor.BEFORE_START else 1
    if local_time is None:
        return base + sign * timedelta(minutes=offset_minutes)
    day = base.astimezone(zone).date() + sign * timedelta(days=offset_minutes // (24 * 60))
    return datetime.combine(day, local_time, tzinfo=zone).astimezone(base.tzinfo)


def text_problem(text: str, limit: int, known: Iterable[str]) -> str | None:
    """What is wrong with an organiser's text with placeholders (in French):
    empty, longer than ``limit``, a brace that does not close a plain
    ``{name}``, a name not in ``known``; None when it is fine. Shared by
    reminder rules and messages. Only ``{name}`` is a placeholder: no format
    specs (``{prenom:>2000000000}`` would make a huge e-mail)."""
    if not text or not text.strip():
        return _("Ce texte ne peut pas être vide.")
    if len(text) > limit:
        return _("%(max)d caractères au plus.", max=limit)
    outside = _PLACEHOLDER.sub("", text)
    if "{" in outside or "}" in outside:
        return _("Une accolade n'est pas fermée : écrivez par exemple {prenom}.")
    known = list(known)
    unknown = [name for name in _PLACEHOLDER.findall(text) if name not in known]
    if unknown:
        return _(
            "Champ inconnu : {%(name)s}. Champs possibles : %(known)s.",
            name=unknown[0],
            known=", ".join(f"{{{name}}}" for name in known),
        )
    return None


def fill_placeholders(text: str, values: dict[str, str]) -> str:
    """``text`` with each ``{name}`` of ``values`` replaced (any other brace
    left as typed)."""
    return _PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), text)


def check_rule_texts(subject: str, body: str, anchor: ReminderAnchor, survey_url: str | None) -> None:
    """Raise ``InvalidReminderRule`` (French, naming the field) for texts that
    are empty, too long, or use an unknown placeholder, or a survey link
    that is missing or not http(s)."""
    for field_name, text, limit in (("subject", subject, 200), ("body", body, 10_000)):
        problem = text_problem(text, limit, PLACEHOLDERS)
        if problem is not None:
            raise InvalidReminderRule(problem, field_name)
    if "{questionnaire}" in body and not survey_url:
        raise InvalidReminderRule(
            _("Indiquez l'adresse du questionnaire, ou retirez {questionnaire}."), "survey_url"
        )
    if survey_url and not survey_url.startswith(("https://", "http://")):
        raise InvalidReminderRule(_("L'adresse du questionnaire doit commencer par https://."), "survey_url")


def add_reminder_rule(
    event: Event,
    *,
    anchor: ReminderAnchor = ReminderAnchor.BEFORE_START,
    days: int = 0,
    hours: int = 0,
    minutes: int = 0,
    local_time: time | None = None,
    audience: ReminderAudience = ReminderAudience.CONFIRMED,
    subject: str | None = None,
    body: str | None = None,
    survey_url: str | None = None,
) -> ReminderRule:
    """A new rule for ``event``: ``days``/``hours``/``minutes`` before its
    start (or after its end), at ``local_time`` if given (then only days
    count). Texts default to the standard reminder (or thank-you). Raises
    ``InvalidReminderRule``. Flushed, not committed."""
    anchor, audience = ReminderAnchor(anchor), ReminderAudience(audience)
    if min(days, hours, minutes) < 0:
        raise InvalidReminderRule(_("Un délai ne peut pas être négatif."), "offset")
    if local_time is not None and (hours or minutes):
        raise InvalidReminderRule(_("Avec une heure fixe, indiquez le délai en jours seulement."), "offset")
    offset_minutes = (days * 24 + hours) * 60 + minutes
    if anchor == ReminderAnchor.AFTER_END:
        default_subject, default_body = default_thanks_texts(with_survey=bool(survey_url))
    else:
        whole_days = days if days and not (hours or minutes) else None
        default_subject, default_body = default_rule_texts(whole_days)
    subject = (subject if subject is not None else default_subject).strip()
    body = (body if body is not None else default_body).strip()
    survey_url = (survey_url or "").strip() or None
    check_rule_texts(subject, body, anchor, survey_url)
    rule = ReminderRule(
        event_id=event.id,
        anchor=anchor,
        offset_minutes=offset_minutes,
        local_time=local_time,
        audience=audience,
        subject=subject,
        body=body,
        survey_url=survey_url,
        due_at=compute_due_at(event, anchor, offset_minutes, local_time),
    )
    db.session.add(rule)
    db.session.flush()
    return rule


def add_default_rules(event: Event) -> list[ReminderRule]:
    """J-7 and J-1 at 9:00 in the event's time zone, for confirmed people."""
    return [
        add_reminder_rule(event, days=days, local_time=time(9, 0))
        for days in current_app.config.get("DEFAULT_REMINDER_DAYS", (7, 1))
    ]


def event_rules(event_id: int) -> list[ReminderRule]:
    """The event's rules, the earliest due first."""
    return list(
        db.session.scalars(
            sa.select(ReminderRule).where(ReminderRule.event_id == event_id).order_by(ReminderRule.due_at)
        )
    )


def reschedule_event_reminders(event: Event, now: datetime | None = None) -> int:
    """Recompute the due time of the event's rules after it moved. A rule
    already handled is handled again at its new time if that is still to
    come. Returns how many rules moved. Flushed, not committed."""
    now = now or now_utc()
    moved = 0
    for rule in event_rules(event.id):
        due_at = compute_due_at(event, rule.anchor, rule.offset_minutes, rule.local_time)
        if due_at == rule.due_at:
            continue
        moved += 1
        rule.due_at = due_at
        if rule.is_handled and due_at <= now:
            continue  # handled at its old time, and its new one is past too
        rule.generation += 1
        # Deliveries of the old time not written to the outbox yet are void.
        db.session.execute(
            sa.update(ReminderDelivery)
            .where(
                ReminderDelivery.rule_id == rule.id,
                ReminderDelivery.status == DeliveryStatus.DUE,
                ReminderDelivery.generation < rule.generation,
            )
            .values(status=DeliveryStatus.SKIPPED, reason="event moved", handled_at=now)
        )
    db.session.flush()
    return moved


def stop_reminders(registration: Registration, now: datetime | None = None) -> bool:
    """The person asked for no more reminders about this registration (it
    stands). Returns False if they were already stopped. Flushed."""
    if registration.reminders_stopped_at is not None:
        return False
    registration.reminders_stopped_at = now or now_utc()
    db.session.flush()
    return True


# Rendering -------------------------------------------------------------------


def placeholder_values(rule: ReminderRule, registration: Registration) -> dict[str, str]:
    """What each placeholder of ``rule`` says for ``registration``."""
    event = registration.event
    place = ", ".join(
        part
        for part in (
            event.venue_name,
            event.venue_address,
            " ".join(p for p in (event.venue_postcode, event.commune) if p),
        )
        if part
    )
    return {
        "prenom": registration.first_name,
        "nom": registration.last_name,
        "evenement": event.title,
        "date": format_span(event.starts_at, event.ends_at, event.timezone),
        "lieu": place or (_("en ligne") if event.online_url else ""),
        "lien": registration_page_url(registration),
        "questionnaire": rule.survey_url or "",
    }


def render_reminder(rule: ReminderRule, registration: Registration) -> tuple[str, str]:
    """The subject and plain-text body of ``rule`` for ``registration``."""
    values = placeholder_values(rule, registration)
    subject, body = fill_placeholders(rule.subject, values), fill_placeholders(rule.body, values)
    return " ".join(subject.split()), body.replace("\r\n", "\n").replace("\r", "\n")


# The scan --------------------------------------------------------------------


@dataclass
class ScanResult:
    rules_handled: int = 0
    queued: int = 0
    missed: int = 0
    skipped: int = 0
    more: bool = False  # a batch was full: scan again

    def __str__(self) -> str:
        return (
            f"{self.rules_handled} rule(s) handled, {self.queued} reminder(s) queued, "
            f"{self.missed} missed, {self.skipped} skipped"
        )


def _max_late() -> timedelta:
    minutes = current_app.config.get("REMINDER_MAX_LATE_MINUTES")
    return timedelta(minutes=minutes) if minutes is not None else DEFAULT_MAX_LATE


def _too_late(anchor: ReminderAnchor, due_at: datetime, event: Event | sa.Row, now: datetime) -> bool:
    if now - due_at > _max_late():
        return True
    return anchor == ReminderAnchor.BEFORE_START and now >= event.starts_at


def scan_due_reminders(
    now: datetime | None = None, *, expand_batch: int = EXPAND_BATCH, queue_batch: int = QUEUE_BATCH
) -> ScanResult:
    """Expand the rules come due, then queue up to ``queue_batch`` due
    reminders in the outbox. Flushes, never commits: the task commits, and
    scans again while ``result.more``."""
    now = now or now_utc()
    prepare_write()
    result = ScanResult()
    _expand_due_rules(now, expand_batch, result)
    _queue_due_deliveries(now, queue_batch, result)
    return result


def _expand_due_rules(now: datetime, limit: int, result: ScanResult) -> None:
    rules = db.session.scalars(
        sa.select(ReminderRule)
        .where(
            ReminderRule.active.is_(True),
            ReminderRule.due_at <= now,
            ReminderRule.handled_generation < ReminderRule.generation,
        )
        .order_by(ReminderRule.due_at, ReminderRule.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    if len(rules) == limit:
        result.more = True
    for rule in rules:
        event = db.session.get(Event, rule.event_id)
        rule.handled_generation = rule.generation
        result.rules_handled += 1
        if event is None or event.status != EventStatus.PUBLISHED:
            continue  # cancelled (the cancellation notice said so) or withdrawn
        late = _too_late(rule.anchor, rule.due_at, event, now)
        status = DeliveryStatus.MISSED if late else DeliveryStatus.DUE
        concerned = sa.select(
            sa.literal(rule.id),
            Registration.id,
            sa.literal(rule.generation),
            sa.literal(rule.due_at, ReminderDelivery.due_at.type),
            sa.literal(status.value),
            sa.literal("too late" if late else ""),
            sa.literal(now, ReminderDelivery.created_at.type),
            sa.literal(now if late else None, ReminderDelivery.handled_at.type),
        ).where(
            Registration.event_id == rule.event_id,
            Registration.status == _AUDIENCE_STATUS[rule.audience],
            Registration.created_at <= rule.due_at,
            Registration.reminders_stopped_at.is_(None),
            Registration.anonymised_at.is_(None),
        )
        table = ReminderDelivery.__table__
        inserted = db.session.execute(
            table.insert()
            .from_select(
                [
                    "rule_id",
                    "registration_id",
                    "generation",
                    "due_at",
                    "status",
                    "reason",
                    "created_at",
                    "handled_at",
                ],
                concerned,
            )
            .returning(table.c.id)
        ).all()
        if late:
            result.missed += len(inserted)
    db.session.flush()


def _queue_due_deliveries(now: datetime, limit: int, result: ScanResult) -> None:
    deliveries = db.session.execute(
        sa.select(
            ReminderDelivery.id,
            ReminderDelivery.generation,
            ReminderDelivery.due_at,
            ReminderRule.id.label("rule_id"),
            ReminderRule.generation.label("rule_generation"),
            ReminderRule.anchor,
            ReminderRule.audience,
            Event.status.label("event_status"),
            Event.starts_at,
            Registration.id.label("registration_id"),
            Registration.status.label("registration_status"),
            Registration.email,
            Registration.reminders_stopped_at,
            Registration.anonymised_at,
        )
        .join(ReminderRule, ReminderRule.id == ReminderDelivery.rule_id)
        .join(Event, Event.id == ReminderRule.event_id)
        .join(Registration, Registration.id == ReminderDelivery.registration_id)
        .where(ReminderDelivery.status == DeliveryStatus.DUE)
        .order_by(ReminderDelivery.due_at, ReminderDelivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=ReminderDelivery)
    ).all()
    if len(deliveries) == limit:
        result.more = True
    to_send: list[QueuedEmail] = []
    outcomes: list[dict[str, Any]] = []
    for row in deliveries:
        reason = _why_not_send(row, now)
        if reason is None:
            to_send.append(
                QueuedEmail(
                    registration_id=row.registration_id,
                    recipient=row.email,
                    key=f"email:reminder:{row.id}",
                    payload={"rule_id": row.rule_id, "delivery_id": row.id},
                )
            )
            continue
        status = DeliveryStatus.MISSED if reason == "too late" else DeliveryStatus.SKIPPED
        outcomes.append({"delivery_id": row.id, "status": status.value, "reason": reason, "message_id": None})
        if status == DeliveryStatus.MISSED:
            result.missed += 1
        else:
            result.skipped += 1
    if to_send:
        message_ids = enqueue_emails(EmailKind.REMINDER, to_send)
        for email, row_id in zip(to_send, _delivery_ids(to_send), strict=True):
            outcomes.append(
                {
                    "delivery_id": row_id,
                    "status": DeliveryStatus.QUEUED.value,
                    "reason": "",
                    "message_id": message_ids.get(email.key),
                }
            )
        result.queued += len(to_send)
    if outcomes:
        table = ReminderDelivery.__table__
        db.session.execute(
            table.update()
            .where(table.c.id == sa.bindparam("delivery_id"))
            .values(
                status=sa.bindparam("status"),
                reason=sa.bindparam("reason"),
                outbox_message_id=sa.bindparam("message_id"),
                handled_at=now,
            ),
            outcomes,
        )


def _delivery_ids(emails: Sequence[QueuedEmail]) -> list[int]:
    return [int(email.payload["delivery_id"]) for email in emails]


def _why_not_send(row: sa.Row, now: datetime) -> str | None:
    """Why a due reminder must not leave now (checked again at queue time:
    things change between the due time and the scan), or None."""
    if row.generation != row.rule_generation:
        return "event moved"
    if row.event_status != EventStatus.PUBLISHED:
        return "event cancelled"
    if row.registration_status != _AUDIENCE_STATUS[ReminderAudience(row.audience)]:
        return f"registration {row.registration_status}"
    if row.reminders_stopped_at is not None:
        return "reminders stopped"
    if row.anonymised_at is not None or not row.email:
        return "personal data erased"
    if _too_late(ReminderAnchor(row.anchor), row.due_at, row, now):
        return "too late"
    return None


def reminder_obsolete_reason(registration: Registration, payload: dict[str, Any]) -> str | None:
    """Checked again when a reminder's e-mail is sent: why it must not leave
    now (cancelled since the scan, reminders stopped, event cancelled), or None."""
    rule = db.session.get(ReminderRule, payload.get("rule_id")) if payload.get("rule_id") else None
    expected = _AUDIENCE_STATUS[rule.audience] if rule is not None else RegistrationStatus.CONFIRMED
    if registration.status != expected:
        return f"registration {registration.status}"
    if registration.reminders_stopped_at is not None:
        return "reminders stopped"
    if registration.event.status != EventStatus.PUBLISHED:
        return "event cancelled"
    return None


# Overview (the ``flask reminders`` command) -----------------------------------------


@dataclass
class UpcomingRule:
    rule: ReminderRule
    event: Event
    recipients: int

    def describe(self) -> str:
        when = format_moment(self.rule.due_at, self.event.timezone)
        return f"{when} · {self.event.title} · {self.rule.anchor.label} · {self.recipients} destinataire(s)"


def upcoming_rules(now: datetime | None = None, hours: int = 48) -> list[UpcomingRule]:
    """Rules due in the next ``hours`` (or due and not handled yet), with how
    many people they concern today."""
    now = now or now_utc()
    rows = db.session.execute(
        sa.select(ReminderRule, Event)
        .join(Event, Event.id == ReminderRule.event_id)
        .where(
            ReminderRule.active.is_(True),
            ReminderRule.handled_generation < ReminderRule.generation,
            ReminderRule.due_at <= now + timedelta(hours=hours),
            Event.status == EventStatus.PUBLISHED,
        )
        .order_by(ReminderRule.due_at)
    ).all()
    upcoming = []
    for rule, event in rows:
        recipients = db.session.scalar(
            sa.select(sa.func.count()).where(
                Registration.event_id == event.id,
                Registration.status == _AUDIENCE_STATUS[rule.audience],
                Registration.reminders_stopped_at.is_(None),
                Registration.anonymised_at.is_(None),
            )
        )
        upcoming.append(UpcomingRule(rule, event, recipients or 0))
    return upcoming


def delivery_counts(since: datetime) -> dict[DeliveryStatus, int]:
    """Reminder deliveries handled since ``since``, by status."""
    rows = db.session.execute(
        sa.select(ReminderDelivery.status, sa.func.count())
        .where(ReminderDelivery.created_at >= since)
        .group_by(ReminderDelivery.status)
    )
    return {DeliveryStatus(status): count for status, count in rows}
