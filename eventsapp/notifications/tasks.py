"""Celery tasks of the outbox: send one e-mail, send a batch on one SMTP
connection, relay what was not dispatched.

Both sending tasks run on the ``mail`` queue (``config.MAIL_TASKS``) and are
idempotent: each row is locked (``FOR UPDATE SKIP LOCKED``) and skipped once
sent or given up, and each outcome is committed right after its send, so a
worker killed mid-batch has at most the one message in flight to send again
(with the same Message-ID) when its batch is redelivered.

Retries (``retry_delay``): exponential backoff with jitter, from
``MAIL_RETRY_BACKOFF`` up to ``MAIL_RETRY_BACKOFF_MAX`` seconds, at most
``MAIL_MAX_RETRIES`` times per task; after that the row waits for the relay
(15 minutes), until its ``MAX_DELIVERY_ATTEMPTS`` run out and it is failed
with the reason.
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from collections.abc import Sequence

from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from flask import current_app
from sqlalchemy.exc import SQLAlchemyError

from eventsapp.extensions import db
from eventsapp.notifications.dispatch import SEND_EMAIL_BATCH_TASK, SEND_EMAIL_TASK, relay_stale_messages
from eventsapp.notifications.locks import (
    is_connection_lost,
    objects_kept_across_commits,
    one_database_connection,
    preload_emails,
)
from eventsapp.notifications.service import TRANSIENT_ERRORS, deliver_email
from eventsapp.notifications.transport import BatchConnection, is_connection_failure

logger = logging.getLogger(__name__)


def retry_delay(retries: int) -> float:
    """Seconds before retry number ``retries + 1``: ``MAIL_RETRY_BACKOFF *
    2**retries`` capped at ``MAIL_RETRY_BACKOFF_MAX``, then a random time
    between half of that and all of it, so that messages refused together
    (a server busy for a minute) do not all come back together."""
    config = current_app.config
    ceiling = min(
        float(config["MAIL_RETRY_BACKOFF_MAX"]), float(config["MAIL_RETRY_BACKOFF"]) * 2 ** max(retries, 0)
    )
    return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not security


def retry_limit(task: Task) -> int:
    """The task's own ``max_retries`` if set (tests), else ``MAIL_MAX_RETRIES``."""
    if task.max_retries is not None:
        return int(task.max_retries)
    return int(current_app.config["MAIL_MAX_RETRIES"])


@shared_task(bind=True, name=SEND_EMAIL_TASK, max_retries=None)
def send_email(self: Task, message_id: int) -> str:
    """Send the outbox e-mail ``message_id`` once (a second run is a no-op)
    and commit the outcome. SMTP errors and unreachable servers are retried
    with backoff, then left to the relay until the row's attempts run out; a
    permanent (5xx) refusal, or an e-mail that cannot be composed, marks the
    row failed without retry. A database error fails the task: the row stays
    as it was and the relay hands it over again later."""
    try:
        outcome = deliver_email(message_id)
    except TRANSIENT_ERRORS as error:
        db.session.commit()  # keep the attempt and its error, release the row
        raise self.retry(
            exc=error, countdown=retry_delay(self.request.retries), max_retries=retry_limit(self)
        ) from error
    db.session.commit()
    return outcome.value


@shared_task(bind=True, name=SEND_EMAIL_BATCH_TASK, max_retries=None)
def send_email_batch(self: Task, message_ids: Sequence[int]) -> dict[str, int]:
    """Send the outbox e-mails ``message_ids`` on ONE SMTP connection, each
    as ``send_email`` would, committing each outcome right after its send.

    - A message refused for now (4xx) is re-queued alone, as ``send_email``
      with backoff; the batch goes on.
    - A connection-level failure (server unreachable, disconnected, login
      refused) stops the batch: the messages not yet done are retried
      together later, as one batch (one connection again).
    - Near the soft time limit, what is left is handed to a new batch.
    - The database connection lost (PostgreSQL restarted) in a batch not
      retried yet: the messages not yet done are retried together, on a new
      connection; otherwise the task fails and the relay takes them over.

    Returns the count of each outcome (and "requeued")."""
    ids = [int(message_id) for message_id in message_ids]
    counts: Counter[str] = Counter()
    with BatchConnection() as connection, one_database_connection(), objects_kept_across_commits():
        preload_emails(ids)
        for index, message_id in enumerate(ids):
            try:
                outcome = deliver_email(message_id, connection, preloaded=True)
            except SQLAlchemyError as error:
                _retry_if_connection_lost(self, error, ids[index:])
                raise
            except TRANSIENT_ERRORS as error:
                db.session.commit()  # keep the attempt and its error, release the row
                if is_connection_failure(error):
                    rest = ids[index:]
                    logger.warning("SMTP connection failed (%s): %s e-mail(s) wait", error, len(rest))
                    raise self.retry(
                        args=[rest],
                        exc=error,
                        countdown=retry_delay(self.request.retries),
                        max_retries=retry_limit(self),
                    ) from error
                send_email.apply_async(args=[message_id], countdown=retry_delay(0))
                counts["requeued"] += 1
                continue
            except SoftTimeLimitExceeded:
                db.session.rollback()
                rest = ids[index:]
                logger.warning("E-mail batch out of time: %s e-mail(s) handed to a new batch", len(rest))
                send_email_batch.apply_async(args=[rest])
                counts["handed-over"] += len(rest)
                break
            try:
                db.session.commit()
            except SQLAlchemyError as error:
                _retry_if_connection_lost(self, error, ids[index:])
                raise
            counts[outcome.value] += 1
    return dict(counts)


def _retry_if_connection_lost(task: Task, error: SQLAlchemyError, rest: list[int]) -> None:
    """A batch (not retried yet, for any reason: ``request.retries`` counts
    SMTP retries too) whose database connection was lost retries the
    messages not yet done (``rest``) on a new connection: a restarted server
    is back by then. The one in hand is among them: if the SMTP server had
    already accepted it, it goes again with its Message-ID (receiving
    systems drop the copy), as it would from the relay. Otherwise (a retried
    batch, any other database error) the task fails and the relay hands the
    rows over again later, as before connections were held for a batch."""
    if not is_connection_lost(error) or task.request.retries:
        return
    db.session.rollback()
    logger.warning("Database connection lost (%s): %s e-mail(s) wait", error, len(rest))
    raise task.retry(
        args=[rest], exc=error, countdown=retry_delay(task.request.retries), max_retries=retry_limit(task)
    ) from error


@shared_task(name="notifications.relay_outbox")
def relay_outbox() -> int:
    """Beat, every minute: publish again the outbox rows still pending after
    2 minutes and the e-mails dispatched but not sent after 15 minutes."""
    count = relay_stale_messages()
    if count:
        logger.info("Outbox relay: %s row(s) dispatched again", count)
    return count
