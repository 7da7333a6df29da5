"""The registrants of one event, for its organisers: the filtered list and
its counts, a registration added by hand, a person moved from the waiting
list by hand, a confirmation sent again, each person's e-mails.

Seats are never counted here: adding goes through
``registrations.service.sign_up`` and moving from the waiting list takes the
event's lock (``locking.lock_event``) and asks the registration service's
own ``seats.fits`` before holding seats, exactly as the automatic promotion does.
Functions take ids, flush and never commit; the caller has already checked
that the event belongs to the current organisation (``admin.access``).

The filter itself is ``registrants_filters``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from eventsapp.admin.registrants_filters import (
    RegistrantFilters,
    checked_in_ids,
    load_registrations,
    matching_ids,
)
from eventsapp.catalog.models import Event
from eventsapp.checkin.models import CheckIn
from eventsapp.errors import DomainError, NotFound
from eventsapp.extensions import db
from eventsapp.notifications.models import EmailKind, OutboxKind, OutboxMessage, OutboxStatus
from eventsapp.notifications.service import email_key, enqueue_email, failed_email_count
from eventsapp.registrations import service as registration_service
from eventsapp.registrations.models import (
    ACTIVE_STATUSES,
    SEAT_HOLDING_STATUSES,
    Registration,
    RegistrationStatus,
)
from eventsapp.registrations.service import (
    PromotionRefused,
    SignUpRequest,
    SignUpResult,
    sign_up,
)
from eventsapp.registrations.validation import InvalidRegistration

PER_PAGE = 50
# The e-mail a sign-up sends, by the status it ends in.
SIGN_UP_KINDS = {
    RegistrationStatus.CONFIRMED: EmailKind.CONFIRMATION,
    RegistrationStatus.PENDING: EmailKind.PENDING_CONFIRMATION,
    RegistrationStatus.WAITLISTED: EmailKind.WAITLISTED,
}
WITHHELD_REASON = "not sent: added by an organiser who chose no e-mail"


class RegistrantActionRefused(DomainError):
    """An organiser's action the state of the registration does not allow."""


class AlreadyRegistered(DomainError):
    """The address already holds an active registration for the event."""

    def __init__(self, message: str, registration_id: int | None) -> None:
        super().__init__(message)
        self.registration_id = registration_id


# The list page -----------------------------------------------------------------


@dataclass(frozen=True)
class RegistrantCounts:
    """The figures at the top of the list (seats, except where said)."""

    capacity: int | None
    confirmed: int
    pending: int
    waitlisted: int
    cancelled: int  # registrations cancelled (and expired)
    checked_in: int  # registrations with a check-in
    registrations: int  # every registration, whatever its status

    @property
    def seats_taken(self) -> int:
        return self.confirmed + self.pending


def registrant_counts(event: Event) -> RegistrantCounts:
    """Seats by status, cancellations and check-ins, in two grouped queries."""
    rows = db.session.execute(
        sa.select(Registration.status, sa.func.count(), sa.func.coalesce(sa.func.sum(Registration.seats), 0))
        .where(Registration.event_id == event.id)
        .group_by(Registration.status)
    ).all()
    seats = {RegistrationStatus(status): int(total) for status, _count, total in rows}
    counted = {RegistrationStatus(status): int(count) for status, count, _total in rows}
    checked = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(CheckIn.registration_id))).where(CheckIn.event_id == event.id)
    )
    return RegistrantCounts(
        capacity=event.capacity,
        confirmed=seats.get(RegistrationStatus.CONFIRMED, 0),
        pending=seats.get(RegistrationStatus.PENDING, 0),
        waitlisted=seats.get(RegistrationStatus.WAITLISTED, 0),
        cancelled=counted.get(RegistrationStatus.CANCELLED, 0) + counted.get(RegistrationStatus.EXPIRED, 0),
        checked_in=int(checked or 0),
        registrations=sum(counted.values()),
    )


@dataclass(frozen=True)
class RegistrantPage:
    registrations: list[Registration]
    checked_in: set[int]
    total: int
    page: int
    pages: int
    counts: RegistrantCounts
    failed_emails: int


def registrant_page(event: Event, filters: RegistrantFilters, per_page: int = PER_PAGE) -> RegistrantPage:
    """One page of the filtered list, with the event's counts."""
    ids = matching_ids(event.id, filters)
    pages = max(1, math.ceil(len(ids) / per_page))
    page = min(filters.page, pages)
    shown = load_registrations(ids[(page - 1) * per_page : page * per_page])
    return RegistrantPage(
        registrations=shown,
        checked_in=checked_in_ids(registration.id for registration in shown),
        total=len(ids),
        page=page,
        pages=pages,
        counts=registrant_counts(event),
        failed_emails=failed_email_count(event.id),
    )


def failed_emails(event_id: int, limit: int = 100) -> list[OutboxMessage]:
    """The event's e-mails given up, latest first (with their registration)."""
    return list(
        db.session.scalars(
            sa.select(OutboxMessage)
            .join(Registration, Registration.id == OutboxMessage.registration_id)
            .where(
                Registration.event_id == event_id,
                OutboxMessage.kind == OutboxKind.EMAIL,
                OutboxMessage.status == OutboxStatus.FAILED,
            )
            .options(selectinload(OutboxMessage.registration))
            .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
            .limit(limit)
        )
    )


# One person ----------------------------------------------------------------------


def get_event_registration(event_id: int, registration_id: int) -> Registration:
    """The registration ``registration_id`` of event ``event_id``; ``NotFound`` otherwise."""
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.event_id != event_id:
        raise NotFound(str(registration_id))
    return registration


def registration_emails(registration_id: int) -> list[OutboxMessage]:
    """Every e-mail of the outbox about this registration, oldest first."""
    return list(
        db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.registration_id == registration_id, OutboxMessage.kind == OutboxKind.EMAIL)
            .order_by(OutboxMessage.created_at, OutboxMessage.id)
        )
    )


def add_registration(
    event_id: int, request: SignUpRequest, *, send_email: bool = True, now: datetime | None = None
) -> SignUpResult:
    """An organiser registers a person (a phone sign-up): the same rules,
    lock and e-mails as the public form (``sign_up``), which raises
    ``RegistrationClosed``, ``EventFull`` or ``InvalidRegistration``. An
    address already registered raises ``AlreadyRegistered`` (the caller
    rolls back: the person gets no "already registered" e-mail for an
    organiser's typing). ``send_email=False`` keeps the sign-up's e-mail
    from leaving; not for an event that needs the person to confirm by
    e-mail (their seat would expire)."""
    event = db.session.get(Event, event_id)
    if event is None:
        raise NotFound(str(event_id))
    if not send_email and event.requires_email_confirmation:
        raise InvalidRegistration(
            _(
                "Cet événement demande une confirmation par e-mail : sans e-mail, "
                "la place de la personne serait libérée au bout du délai."
            ),
            "no_email",
        )
    result = sign_up(event_id, request, now)
    if result.registration_id is None:
        existing = db.session.scalar(
            sa.select(Registration.id).where(
                Registration.event_id == event_id,
                Registration.email == request.email.strip().lower(),
                Registration.status.in_(ACTIVE_STATUSES),
            )
        )
        raise AlreadyRegistered(_("Cette adresse e-mail est déjà inscrite à cet événement."), existing)
    if not send_email:
        _withhold_sign_up_email(result.registration_id)
    return result


def _withhold_sign_up_email(registration_id: int) -> None:
    # The row was written in this transaction and nothing has left yet:
    # marked cancelled, the sending task skips it after the commit.
    keys = [email_key(kind, registration_id) for kind in SIGN_UP_KINDS.values()]
    db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.idempotency_key.in_(keys), OutboxMessage.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.CANCELLED, last_error=WITHHELD_REASON)
    )


def promote_registration(event_id: int, registration_id: int, now: datetime | None = None) -> Registration:
    """Move one person from the waiting list by hand, ahead of their turn
    (``registrations.service.promote_registration``: under the event's
    lock, never over-filling). Raises ``EventFull`` or
    ``RegistrantActionRefused`` in French."""
    try:
        return registration_service.promote_registration(event_id, registration_id, now)
    except PromotionRefused as error:
        raise RegistrantActionRefused(error.message) from None


def resend_confirmation(event_id: int, registration_id: int) -> EmailKind:
    """Send the person's confirmation again (or, pending or waitlisted, the
    e-mail of that state): a new outbox row each time. Returns its kind."""
    registration = get_event_registration(event_id, registration_id)
    if registration.anonymised_at is not None:
        raise RegistrantActionRefused(_("Les données de cette personne ont été effacées."))
    kind = SIGN_UP_KINDS.get(registration.status)
    if kind is None:
        raise RegistrantActionRefused(_("Cette inscription n'est plus active : il n'y a rien à renvoyer."))
    enqueue_email(kind, registration, repeatable=True)
    return kind


def is_active(registration: Registration) -> bool:
    return registration.status in ACTIVE_STATUSES


def holds_seats(registration: Registration) -> bool:
    return registration.status in SEAT_HOLDING_STATUSES
