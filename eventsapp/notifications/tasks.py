"""Celery tasks of the outbox: send one e-mail, relay what was not dispatched."""

from __future__ import annotations

import logging

from celery import Task, shared_task

from eventsapp.extensions import db
from eventsapp.notifications.dispatch import SEND_EMAIL_TASK, relay_stale_messages
from eventsapp.notifications.service import TRANSIENT_ERRORS, deliver_email

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    name=SEND_EMAIL_TASK,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
)
def send_email(self: Task, message_id: int) -> str:
    """Send the outbox e-mail ``message_id`` once (a second run is a no-op)
    and commit the outcome. SMTP errors and unreachable servers are retried
    with backoff, then left to the relay until the row's attempts run out; a
    permanent (5xx) refusal, or an e-mail that cannot be composed, marks the
    row failed without retry. A database error fails the task: the row stays
    as it was and the relay hands it over again later."""
    try:
        outcome = deliver_email(message_id)
    except TRANSIENT_ERRORS:
        db.session.commit()  # keep the attempt and its error, release the row
        raise
    db.session.commit()
    return outcome.value


@shared_task(name="notifications.relay_outbox")
def relay_outbox() -> int:
    """Beat, every minute: publish again the outbox rows still pending after
    2 minutes and the e-mails dispatched but not sent after 15 minutes."""
    count = relay_stale_messages()
    if count:
        logger.info("Outbox relay: %s row(s) dispatched again", count)
    return count
