"""``flask reminders``: what is due, what failed, and scanning by hand."""

from __future__ import annotations

from datetime import time, timedelta

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from eventsapp.catalog.models import Event
from eventsapp.db import now_utc
from eventsapp.extensions import db
from eventsapp.formatting import format_moment
from eventsapp.notifications.models import OutboxMessage, OutboxStatus
from eventsapp.registrations.models import Registration
from eventsapp.reminders import scan, service

reminders_cli = AppGroup("reminders", help="Rappels : ce qui est dû, ce qui a échoué.")


@reminders_cli.command("status")
@click.option("--hours", default=48, show_default=True, help="Rappels dus dans les N prochaines heures.")
def status_command(hours: int) -> None:
    """What is due soon, what was sent or missed today, and e-mails that failed."""
    now = now_utc()
    upcoming = scan.upcoming_rules(now, hours)
    click.echo(f"Rappels dus d'ici {hours} h : {len(upcoming)}")
    for item in upcoming:
        late = " (EN RETARD)" if item.rule.due_at <= now else ""
        click.echo(f"  - {item.describe()}{late}")
    counts = scan.delivery_counts(now - timedelta(hours=24))
    click.echo("Dernières 24 h : " + (", ".join(f"{s.label} {n}" for s, n in counts.items()) or "rien"))
    failed = db.session.execute(
        sa.select(
            OutboxMessage.id, OutboxMessage.email_kind, OutboxMessage.last_error, Event.title, Event.timezone
        )
        .join(Registration, Registration.id == OutboxMessage.registration_id)
        .join(Event, Event.id == Registration.event_id)
        .where(OutboxMessage.status == OutboxStatus.FAILED)
        .order_by(OutboxMessage.id.desc())
        .limit(50)
    ).all()
    click.echo(f"E-mails en échec (les 50 derniers) : {len(failed)}")
    for row in failed:
        click.echo(f"  - #{row.id} {row.email_kind.label} · {row.title} · {row.last_error or ''}")


@reminders_cli.command("scan")
def scan_command() -> None:
    """Scan now (beat does it every minute)."""
    total = scan.ScanResult()
    while True:
        result = scan.scan_due_reminders()
        db.session.commit()
        for name in ("rules_handled", "queued", "missed", "skipped"):
            setattr(total, name, getattr(total, name) + getattr(result, name))
        if not result.more:
            break
    click.echo(str(total))


@reminders_cli.command("add")
@click.argument("event_slug")
@click.option("--days-before", type=int, default=None, help="Jours avant le début (avec --at).")
@click.option("--at", "at_time", default=None, help="Heure locale, par exemple 09:00.")
@click.option("--due-in", type=int, default=None, help="Minutes d'ici l'envoi (pour essayer).")
def add_command(event_slug: str, days_before: int | None, at_time: str | None, due_in: int | None) -> None:
    """Add a reminder to an event: J-N at a local time, or one due in N minutes (to try)."""
    event = db.session.scalar(sa.select(Event).where(Event.slug == event_slug))
    if event is None:
        raise click.ClickException(f"Aucun événement « {event_slug} ».")
    if due_in is not None:
        minutes = int((event.starts_at - (now_utc() + timedelta(minutes=due_in))).total_seconds() // 60)
        if minutes < 0:
            raise click.ClickException("L'événement commence avant : choisissez un délai plus court.")
        rule = service.add_reminder_rule(event, minutes=minutes)
    else:
        hour, _sep, minute = (at_time or "09:00").partition(":")
        rule = service.add_reminder_rule(
            event,
            days=days_before if days_before is not None else 1,
            local_time=time(int(hour), int(minute or 0)),
        )
    db.session.commit()
    click.echo(f"Rappel ajouté : dû le {format_moment(rule.due_at, event.timezone)}.")


@reminders_cli.command("add-defaults")
def add_defaults_command() -> None:
    """Give the default reminders (J-7, J-1 at 9:00) to every event that has none."""
    from eventsapp.reminders.models import ReminderRule

    without = db.session.scalars(
        sa.select(Event).where(~sa.exists().where(ReminderRule.event_id == Event.id))
    ).all()
    for event in without:
        service.add_default_rules(event)
    db.session.commit()
    click.echo(f"{len(without)} événement(s) complété(s).")
