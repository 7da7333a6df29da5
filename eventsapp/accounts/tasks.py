"""Celery task of the accounts: send one account e-mail after the commit.

Recorded by ``accounts.service`` with ``notifications.service.enqueue_task``
(an outbox row in the same transaction as the invitation or the reset
request), so nothing leaves for a change that was rolled back.
"""

from __future__ import annotations

from celery import Task, shared_task

from eventsapp.accounts.emails import send_account_email as send_now
from eventsapp.accounts.service import ACCOUNT_EMAIL_TASK
from eventsapp.extensions import db
from eventsapp.notifications.service import TRANSIENT_ERRORS
from eventsapp.notifications.tasks import retry_delay, retry_limit


@shared_task(bind=True, name=ACCOUNT_EMAIL_TASK, max_retries=None)
def send_account_email(self: Task, kind: str, user_id: int, organisation_id: int | None = None) -> bool:
    """Send the account e-mail ``kind`` to ``user_id``; SMTP errors are
    retried with the e-mails' backoff (``notifications.tasks.retry_delay``)."""
    try:
        sent = send_now(kind, user_id, organisation_id)
    except TRANSIENT_ERRORS as error:
        db.session.rollback()
        raise self.retry(
            exc=error, countdown=retry_delay(self.request.retries), max_retries=retry_limit(self)
        ) from error
    db.session.rollback()  # read only
    return sent
