"""Reminder tasks: the beat scan, thin around ``reminders.service``."""

from __future__ import annotations

import logging

from celery import shared_task

from eventsapp.extensions import db
from eventsapp.reminders import scan

logger = logging.getLogger(__name__)
# One run handles at most this many batches; the next beat tick goes on.
MAX_BATCHES_PER_RUN = 50


@shared_task(name="reminders.scan_due")
def scan_due() -> int:
    """Beat, every minute: write the outbox e-mails of due reminders, one
    committed batch at a time (each batch's e-mails leave at its commit)."""
    queued = 0
    for _batch in range(MAX_BATCHES_PER_RUN):
        result = scan.scan_due_reminders()
        db.session.commit()
        queued += result.queued
        if result.rules_handled or result.queued or result.missed or result.skipped:
            logger.info("Reminder scan: %s", result)
        if not result.more:
            break
    return queued
