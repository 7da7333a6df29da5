"""Registration rules: sign-up, waiting list, promotion, changes, cancellation.

Every function takes ids, flushes and never commits; the request or task
that calls it commits once. Seats are counted only under the event's lock
(``eventsapp.locking.lock_event``). Freeing seats takes no lock: it enqueues
``registrations.promote_waitlist`` through the outbox, and that task takes
the lock to hand the freed seats to the waiting list in order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from eventsapp.catalog.models import Event
from eventsapp.catalog.vocabulary import EventStatus
from eventsapp.db import now_utc
from eventsapp.errors import DomainError, NotFound
from eventsapp.extensions import db
from eventsapp.locking import lock_event, prepare_write
from eventsapp.notifications.service import EmailKind, enqueue_email, enqueue_task
from eventsapp.registrations.models import (
    ACTIVE_STATUSES,
    SEAT_HOLDING_STATUSES,
    ParticipantCategory,
    Registration,
    RegistrationAnswer,
    RegistrationStatus,
)
from eventsapp.registrations.seats import fits, full_message, shortfall
from eventsapp.registrations.tokens import derive_token, hash_token, new_token_salt
from eventsapp.registrations.validation import (
    InvalidRegistration,
    check_seats,
    chosen_sessions,
    clean_answers,
)

PROMOTE_TASK = "registrations.promote_waitlist"


class RegistrationClosed(DomainError):
    """The event does not take registrations now."""


class EventFull(DomainError):
    """No seat left and no waiting list."""


class PromotionRefused(DomainError):
    """A promotion by hand the rules refuse (not waiting, event not open)."""


@dataclass
class SignUpRequest:
    """What a person asks for, already checked for shape by the form."""

    first_name: str
    last_name: str
    email: str
    category: ParticipantCategory
    consent: bool
    seats: int = 1
    phone: str | None = None
    structure: str = ""
    session_ids: list[int] = field(default_factory=list)
    answers: dict[int, Any] = field(default_factory=dict)


@dataclass
class SignUpResult:
    """What happened. ``registration_id`` is None when the e-mail was already
    registered: nothing new was stored, an e-mail tells the person so."""

    registration_id: int | None
    status: RegistrationStatus | None
    token: str | None = None


def check_registration_open(event: Event, now: datetime) -> None:
    """Raise ``RegistrationClosed`` with the French reason when sign-up is not possible."""
    if event.status != EventStatus.PUBLISHED:
        raise RegistrationClosed(_("Cet événement n'accepte pas d'inscriptions."))
    if not event.registration_required:
        raise RegistrationClosed(
            _("Cet événement est en entrée libre : aucune inscription n'est nécessaire.")
        )
    if event.starts_at <= now:
        raise RegistrationClosed(_("Cet événement a commencé : les inscriptions sont closes."))
    if event.registration_closes_at and event.registration_closes_at <= now:
        raise RegistrationClosed(_("Les inscriptions à cet événement sont closes."))
    if event.registration_opens_at and event.registration_opens_at > now:
        raise RegistrationClosed(_("Les inscriptions à cet événement ne sont pas encore ouvertes."))


def _next_waitlist_position(event_id: int) -> int:
    highest = db.session.scalar(
        sa.select(sa.func.max(Registration.waitlist_position)).where(Registration.event_id == event_id)
    )
    return (highest or 0) + 1


def _seats_taken_and_active_id(event_id: int, email: str) -> tuple[int, int | None]:
    """The event's seats held, and the id of ``email``'s active registration
    if any: one read of the event's registrations for both (under the lock)."""
    holding = Registration.status.in_(SEAT_HOLDING_STATUSES)
    active_for_email = sa.and_(Registration.email == email, Registration.status.in_(ACTIVE_STATUSES))
    taken, active_id = db.session.execute(
        sa.select(
            sa.func.coalesce(sa.func.sum(sa.case((holding, Registration.seats), else_=0)), 0),
            sa.func.max(sa.case((active_for_email, Registration.id))),
        ).where(Registration.event_id == event_id)
    ).one()
    return int(taken), active_id


def _hold_seats(registration: Registration, event: Event, now: datetime) -> None:
    """Confirmed at once, or pending until the e-mail link is followed."""
    if event.requires_email_confirmation:
        registration.status = RegistrationStatus.PENDING
        registration.pending_expires_at = now + timedelta(minutes=event.pending_expiry_minutes)
    else:
        registration.status = RegistrationStatus.CONFIRMED
        registration.confirmed_at = now
        registration.pending_expires_at = None
    registration.waitlist_position = None


def sign_up(event_id: int, request: SignUpRequest, now: datetime | None = None) -> SignUpResult:
    """Register a person: seats if they fit, else the waiting list if the
    event has one, else ``EventFull``. Raises ``RegistrationClosed`` or
    ``InvalidRegistration`` with a French message; then nothing is stored."""
    now = now or now_utc()
    if not request.consent:
        raise InvalidRegistration(
            _("Votre accord est nécessaire pour que l'organisateur enregistre votre inscription."), "consent"
        )
    event = lock_event(event_id)
    check_registration_open(event, now)
    check_seats(event, request.seats)
    sessions = chosen_sessions(event, request.session_ids)
    answers = clean_answers(event, request.answers)
    email = request.email.strip().lower()

    taken, active_id = _seats_taken_and_active_id(event.id, email)
    if active_id is not None:
        # Say nothing on screen; the e-mail tells the owner of the address.
        existing = db.session.get(Registration, active_id)
        enqueue_email(EmailKind.ALREADY_REGISTERED, existing, repeatable=True)
        return SignUpResult(registration_id=None, status=None)

    salt = new_token_salt()
    token = derive_token(salt)
    registration = Registration(
        event_id=event.id,
        first_name=request.first_name.strip(),
        last_name=request.last_name.strip(),
        email=email,
        phone=(request.phone or "").strip() or None,
        structure=request.structure.strip(),
        category=request.category,
        seats=request.seats,
        token_salt=salt,
        token_hash=hash_token(token),
        consent_at=now,
        created_at=now,
        sessions=sessions,
        answers=[RegistrationAnswer(question_id=qid, value=value) for qid, value in answers.items()],
    )
    short = shortfall(event, sessions, request.seats, event_taken=taken)
    if short is None:
        _hold_seats(registration, event, now)
        kind = (
            EmailKind.PENDING_CONFIRMATION
            if registration.status == RegistrationStatus.PENDING
            else EmailKind.CONFIRMATION
        )
    elif event.waitlist_enabled:
        registration.status = RegistrationStatus.WAITLISTED
        registration.waitlist_position = _next_waitlist_position(event.id)
        kind = EmailKind.WAITLISTED
    else:
        raise EventFull(full_message(short))
    db.session.add(registration)
    db.session.flush()
    enqueue_email(kind, registration)
    return SignUpResult(registration_id=registration.id, status=registration.status, token=token)


def get_registration_by_token(token: str) -> Registration:
    """The registration behind a private link; ``NotFound`` (no hint) otherwise."""
    if not token or len(token) > 100:
        raise NotFound("registration")
    registration = db.session.scalar(
        sa.select(Registration).where(Registration.token_hash == hash_token(token))
    )
    if registration is None or registration.anonymised_at is not None:
        raise NotFound("registration")
    return registration


def waitlist_rank(registration: Registration) -> int | None:
    """The person's place in the queue now (1 = next to be promoted)."""
    if registration.status != RegistrationStatus.WAITLISTED:
        return None
    ahead = db.session.scalar(
        sa.select(sa.func.count()).where(
            Registration.event_id == registration.event_id,
            Registration.status == RegistrationStatus.WAITLISTED,
            Registration.waitlist_position < registration.waitlist_position,
        )
    )
    return (ahead or 0) + 1


def request_promotion(event_id: int) -> None:
    """Enqueue the promotion of ``event_id``'s waiting list (after the commit).
    One pending promotion per event is enough: it promotes whatever fits
    when it runs, under the lock."""
    enqueue_task(PROMOTE_TASK, key=f"promote:{event_id}", event_id=event_id)


def confirm_pending(registration_id: int, now: datetime | None = None) -> Registration:
    """The person followed the link of a double opt-in: the held seats are theirs."""
    now = now or now_utc()
    prepare_write()
    registration = db.session.get(Registration, registration_id)
    if registration is None:
        raise NotFound("registration")
    if registration.status == RegistrationStatus.PENDING:
        if registration.pending_expires_at and registration.pending_expires_at <= now:
            raise RegistrationClosed(
                _("Ce lien a expiré : votre place a été libérée. Vous pouvez vous réinscrire.")
            )
        if registration.event.status == EventStatus.CANCELLED:
            raise RegistrationClosed(_("Cet événement est annulé : il n'y a plus rien à confirmer."))
        registration.status = RegistrationStatus.CONFIRMED
        registration.confirmed_at = now
        registration.pending_expires_at = None
        db.session.flush()
        enqueue_email(EmailKind.CONFIRMATION, registration)
    return registration


def cancel_registration(registration_id: int, now: datetime | None = None) -> Registration:
    """Cancel (by the person or an organiser); freed seats go to the waiting list."""
    now = now or now_utc()
    prepare_write()
    registration = db.session.get(Registration, registration_id)
    if registration is None:
        raise NotFound("registration")
    if registration.status not in ACTIVE_STATUSES:
        return registration
    held_seats = registration.status in SEAT_HOLDING_STATUSES
    registration.status = RegistrationStatus.CANCELLED
    registration.cancelled_at = now
    registration.waitlist_position = None
    registration.pending_expires_at = None
    db.session.flush()
    enqueue_email(EmailKind.CANCELLED, registration)
    if held_seats:
        request_promotion(registration.event_id)
    return registration


def change_registration(
    registration_id: int, seats: int, session_ids: list[int], now: datetime | None = None
) -> Registration:
    """Change seats or sessions, under the same lock and rules as a sign-up.
    Fewer seats free some for the waiting list."""
    now = now or now_utc()
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.status not in ACTIVE_STATUSES:
        raise NotFound("registration")
    event = lock_event(registration.event_id)
    check_registration_open(event, now)
    check_seats(event, seats)
    sessions = chosen_sessions(event, session_ids)
    frees_seats = seats < registration.seats or not {s.id for s in sessions} >= {
        s.id for s in registration.sessions
    }
    if registration.status in SEAT_HOLDING_STATUSES and not fits(
        event, sessions, seats, exclude=registration
    ):
        raise EventFull(
            _("Il n'y a pas assez de places pour ce changement : votre inscription reste inchangée.")
        )
    registration.seats = seats
    registration.sessions = sessions
    # Choosing other workshops changes no column of the row: its updated_at
    # says it changed all the same (an e-mail batch reloads it).
    registration.updated_at = now_utc()
    db.session.flush()
    if frees_seats and registration.status in SEAT_HOLDING_STATUSES:
        request_promotion(event.id)
    return registration


def change_capacity(event_id: int, capacity: int | None) -> Event:
    """An organiser changes the event's capacity (None: unlimited). More seats
    go to the waiting list; fewer never cancels anyone already holding seats."""
    if capacity is not None and capacity < 0:
        raise InvalidRegistration(_("La capacité ne peut pas être négative."), "capacity")
    prepare_write()
    event = db.session.get(Event, event_id)
    if event is None:
        raise NotFound(str(event_id))
    raised = capacity is None or (event.capacity is not None and capacity > event.capacity)
    event.capacity = capacity
    db.session.flush()
    if raised:
        request_promotion(event.id)
    return event


def promote_waitlist(event_id: int, now: datetime | None = None) -> list[int]:
    """Give free seats to the waiting list in order, skipping entries that do
    not fit (too many seats, a full session) for the next that does; stops at
    the event's cut-off before it starts. Returns the promoted ids."""
    now = now or now_utc()
    event = lock_event(event_id)
    if event.status != EventStatus.PUBLISHED:
        return []
    if now >= event.starts_at - timedelta(minutes=event.waitlist_cutoff_minutes):
        return []
    waiting = db.session.scalars(
        sa.select(Registration)
        .where(Registration.event_id == event_id, Registration.status == RegistrationStatus.WAITLISTED)
        .order_by(Registration.waitlist_position, Registration.id)
    ).all()
    promoted: list[int] = []
    for registration in waiting:
        if fits(event, registration.sessions, registration.seats):
            _hold_seats(registration, event, now)
            db.session.flush()
            enqueue_email(EmailKind.PROMOTED, registration)
            promoted.append(registration.id)
    return promoted


def promote_registration(event_id: int, registration_id: int, now: datetime | None = None) -> Registration:
    """Move one person from the waiting list by hand, ahead of their turn:
    under the event's lock, only if their seats fit the event and each of
    their sessions (never over-filled); they get the "place obtenue" e-mail.
    Raises ``EventFull`` or ``PromotionRefused`` in French; ``NotFound`` for a
    registration of another event."""
    now = now or now_utc()
    event = lock_event(event_id)
    # Read again under the lock: another organiser (or the automatic
    # promotion) may have moved this person a moment ago.
    registration = db.session.get(Registration, registration_id, populate_existing=True, with_for_update=True)
    if registration is None or registration.event_id != event_id:
        raise NotFound(str(registration_id))
    if registration.status != RegistrationStatus.WAITLISTED:
        raise PromotionRefused(_("Cette personne n'est plus sur la liste d'attente."))
    if event.status != EventStatus.PUBLISHED:
        raise PromotionRefused(_("L'événement n'est pas publié : personne ne peut y obtenir de place."))
    if event.ends_at <= now:
        raise PromotionRefused(_("L'événement est terminé."))
    if not fits(event, registration.sessions, registration.seats):
        raise EventFull(
            _(
                "Pas assez de places libres pour %(seats)d place(s) : augmentez la capacité "
                "ou attendez une annulation.",
                seats=registration.seats,
            )
        )
    _hold_seats(registration, event, now)
    db.session.flush()
    enqueue_email(EmailKind.PROMOTED, registration)
    return registration


def expire_pending_registrations(now: datetime | None = None) -> int:
    """Release the seats of double opt-in registrations never confirmed in time."""
    now = now or now_utc()
    prepare_write()
    expired = db.session.scalars(
        sa.select(Registration).where(
            Registration.status == RegistrationStatus.PENDING,
            Registration.pending_expires_at <= now,
        )
    ).all()
    for registration in expired:
        registration.status = RegistrationStatus.EXPIRED
        registration.pending_expires_at = None
    db.session.flush()
    for event_id in sorted({registration.event_id for registration in expired}):
        request_promotion(event_id)
    return len(expired)
