"""Registration tasks: thin wrappers that call one service function and commit."""

from __future__ import annotations

from celery import shared_task

from eventsapp.extensions import db
from eventsapp.registrations import privacy, service


@shared_task(name="registrations.promote_waitlist")
def promote_waitlist(event_id: int) -> list[int]:
    """Hand freed seats of ``event_id`` to its waiting list (idempotent: it
    promotes only what fits now, under the event's lock)."""
    promoted = service.promote_waitlist(event_id)
    db.session.commit()
    return promoted


@shared_task(name="registrations.expire_pending")
def expire_pending() -> int:
    """Beat: release the seats of double opt-in registrations never confirmed."""
    count = service.expire_pending_registrations()
    db.session.commit()
    return count


@shared_task(name="registrations.anonymise_old")
def anonymise_old() -> int:
    """Beat, daily: erase personal data 12 months after each event (or
    sooner: each organisation's ``retention_months``)."""
    count = privacy.anonymise_old_registrations()
    db.session.commit()
    return count
