"""Composing the e-mails to registrants from templates (``compose_email``):
French texts, the event's date in its time zone, place, private link,
organiser's contact, the .ics and check-in QR code where they belong, and
the List-Unsubscribe header. Sending is ``notifications.transport``.
"""

from __future__ import annotations

import re

from flask import current_app, render_template
from flask_babel import get_translations
from flask_babel import gettext as _
from flask_mail import Message
from markupsafe import Markup

from eventsapp.calendars.attachments import attach_registration_calendar
from eventsapp.calendars.tokens import ensure_feed, personal_feed_url
from eventsapp.checkin.attachments import attach_checkin_qr, checkin_email_context, wants_checkin_qr
from eventsapp.formatting import format_moment, format_span
from eventsapp.links import absolute_url
from eventsapp.notifications.mime import is_sendable_address
from eventsapp.notifications.models import EmailKind
from eventsapp.notifications.transport import OutgoingMessage
from eventsapp.registrations.links import registration_page_url
from eventsapp.registrations.models import Registration
from eventsapp.reminders.links import stop_reminders_url
from eventsapp.templating import safe_url
from eventsapp.text import one_line

# E-mails that carry the event's .ics and the person's feed link.
CALENDAR_KINDS = frozenset({EmailKind.CONFIRMATION, EmailKind.PROMOTED, EmailKind.EVENT_CHANGED})
# How the time zones of French territories are named to people.
_ZONE_PLACES = {
    "Europe/Paris": "Paris",
    "America/Guadeloupe": "la Guadeloupe",
    "America/Martinique": "la Martinique",
    "America/Cayenne": "Cayenne",
    "America/Miquelon": "Saint-Pierre-et-Miquelon",
    "Indian/Reunion": "La Réunion",
    "Indian/Mayotte": "Mayotte",
    "Pacific/Noumea": "Nouméa",
    "Pacific/Tahiti": "Tahiti",
}


# Composing -----------------------------------------------------------------


def zone_label(zone: str) -> str:
    """ "heure de Paris", "heure de La Réunion"."""
    place = _ZONE_PLACES.get(zone) or zone.rsplit("/", 1)[-1].replace("_", " ")
    return _("heure de %(place)s", place=place)


def subject_for(kind: EmailKind, title: str) -> str:
    """The French subject line of an e-mail ``kind`` about event ``title``."""
    subjects = {
        EmailKind.CONFIRMATION: lambda: _("Inscription confirmée – %(title)s", title=title),
        EmailKind.WAITLISTED: lambda: _("Liste d'attente – %(title)s", title=title),
        EmailKind.PROMOTED: lambda: _("Une place s'est libérée pour vous – %(title)s", title=title),
        EmailKind.PENDING_CONFIRMATION: lambda: _("Confirmez votre inscription – %(title)s", title=title),
        EmailKind.CANCELLED: lambda: _("Inscription annulée – %(title)s", title=title),
        EmailKind.ALREADY_REGISTERED: lambda: _("Vous êtes déjà inscrit·e – %(title)s", title=title),
        EmailKind.REMINDER: lambda: _("Rappel – %(title)s", title=title),
        EmailKind.EVENT_CHANGED: lambda: _("Changement d'horaire ou de lieu – %(title)s", title=title),
        EmailKind.EVENT_CANCELLED: lambda: _("Événement annulé – %(title)s", title=title),
        EmailKind.ORGANISER_MESSAGE: lambda: _("Message de l'organisateur – %(title)s", title=title),
    }
    # Only the one needed is translated.
    return subjects[EmailKind(kind)]()


def _waitlist_rank(registration: Registration) -> int | None:
    # Imported here: the registration service imports the notifications one.
    from eventsapp.registrations.service import waitlist_rank

    if registration.waitlist_position is None:
        return None
    return waitlist_rank(registration)


def email_context(kind: EmailKind, registration: Registration) -> dict:
    """What the templates of an e-mail about ``registration`` show: dates in
    the event's time zone, place, private link, organiser's contact."""
    event = registration.event
    zone = event.timezone
    page_url = registration_page_url(registration)
    place_lines = [
        line
        for line in (
            event.venue_name,
            event.venue_address,
            " ".join(part for part in (event.venue_postcode, event.commune) if part),
        )
        if line
    ]
    organisation = event.organisation
    return {
        "kind": EmailKind(kind),
        "site_name": current_app.config["SITE_NAME"],
        "person_name": f"{registration.first_name} {registration.last_name}".strip(),
        "registration": registration,
        "event": event,
        "when": format_span(event.starts_at, event.ends_at, zone),
        "zone_label": zone_label(zone),
        "sessions": [
            {
                "title": session.title,
                "when": format_span(session.starts_at, session.ends_at, zone),
                "location": session.location,
            }
            for session in registration.sessions
        ],
        "seats": registration.seats,
        "place_lines": place_lines,
        "online_url": safe_url(event.online_url),
        "position": _waitlist_rank(registration),
        "page_url": page_url,
        # A page with a button: link scanners that follow it change nothing.
        "confirm_url": f"{page_url}/confirm",
        "confirm_before": (
            format_moment(registration.pending_expires_at, zone) if registration.pending_expires_at else None
        ),
        "event_url": absolute_url("catalog.event_page", slug=event.slug),
        "organiser": {
            "organisation": organisation.name if organisation else "",
            "name": event.contact_name,
            "email": event.contact_email or (organisation.contact_email if organisation else None),
            "phone": event.contact_phone,
        },
    }


def _reminder_texts(payload: dict, registration: Registration, context: dict) -> tuple[str, str]:
    """Subject and body of a reminder, from its rule's texts (the dates and
    the private link as the e-mail's ``context`` has them)."""
    # Imported here: the reminders package imports this module's callers.
    from eventsapp.extensions import db
    from eventsapp.reminders.models import ReminderRule
    from eventsapp.reminders.texts import render_reminder

    rule = db.session.get(ReminderRule, payload.get("rule_id"))
    if rule is None:
        raise LookupError(f"reminder rule {payload.get('rule_id')} is gone")
    return render_reminder(rule, registration, when=context["when"], page_url=context["page_url"])


def _template_gettext(autoescape: bool) -> dict[str, object]:
    """``_``, ``gettext`` and ``ngettext`` for one of an e-mail's templates,
    as Jinja's new-style ones behave (the variables are always %-formatted,
    and escaped where the template autoescapes), bound once to the current
    locale's catalogue. They take precedence over the environment's:
    Flask-Babel's look up the application context and the locale at each of
    an e-mail's ~30 calls, and Jinja's ``_`` alias goes through two
    ``Context.call``; together about a fifth of composing (bench/reminders.py)."""
    translations = get_translations()
    # The catalogue's text is ours; Markup's % escapes the variables.
    as_text = Markup if autoescape else str

    # Positional-only: a template may pass any variable name, even "num".
    def gettext(string: str, /, **variables: object) -> str:
        return as_text(translations.gettext(string)) % variables

    def ngettext(singular: str, plural: str, num: int, /, **variables: object) -> str:
        variables.setdefault("num", num)
        return as_text(translations.ngettext(singular, plural, num)) % variables

    return {"_": gettext, "gettext": gettext, "ngettext": ngettext}


def _render(name: str, context: dict) -> str:
    """The e-mail template ``name`` rendered with ``context`` and the
    translation functions for its autoescaping."""
    translation = _template_gettext(current_app.select_jinja_autoescape(name))
    return render_template(name, **{**context, **translation})


def _reply_to(address: str | None) -> str | None:
    """The organiser's contact address as the e-mail's Reply-To, unless it
    cannot be written in a header (stored before the event form refused
    such addresses): the e-mail still goes out, its text names the contact."""
    if not address or not is_sendable_address(address):
        return None
    return address


def _tidy_text(text: str) -> str:
    """Plain text without trailing spaces or runs of blank lines."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


def compose_email(
    kind: EmailKind,
    registration: Registration,
    *,
    recipient: str | None = None,
    payload: dict | None = None,
) -> Message:
    """The French e-mail ``kind`` about ``registration``: plain text and HTML
    from ``templates/notifications/<kind>.txt|.html``, replies going to the
    organiser. ``payload`` is the outbox row's (a reminder's rule, what an
    event change changed). Confirmations, promotions and change notices carry
    the event's .ics and the link to the person's calendar feed; confirmed
    seats, the check-in QR code (``checkin/attachments.py``). Every e-mail
    has a ``List-Unsubscribe`` header that stops reminders (only)."""
    kind = EmailKind(kind)
    payload = payload or {}
    context = email_context(kind, registration)
    context["subject"] = subject_for(kind, registration.event.title)
    context["stop_reminders_url"] = stop_reminders_url(registration)
    if kind == EmailKind.REMINDER:
        context["subject"], context["reminder_body"] = _reminder_texts(payload, registration, context)
    if kind == EmailKind.ORGANISER_MESSAGE:
        # Imported here: the admin package imports this module's callers.
        from eventsapp.admin.messages_service import message_texts

        context["subject"], context["message_body"] = message_texts(payload, registration)
    context["changes"] = payload.get("changes") or []
    context["cancellation_reason"] = payload.get("reason") or ""
    with_calendar = kind in CALENDAR_KINDS
    if with_calendar:
        # Makes the person's feed on first use (this write commits with the
        # delivery of the e-mail): the link must work when the e-mail arrives.
        context["calendar_feed_url"] = personal_feed_url(ensure_feed(registration.email))
    # Confirmed seats carry the check-in QR code staff scan at the door.
    with_checkin_qr = wants_checkin_qr(kind, registration)
    if with_checkin_qr:
        context.update(checkin_email_context(registration))
    message = OutgoingMessage(
        subject=one_line(context["subject"]),
        recipients=[recipient or registration.email],
        body=_tidy_text(_render(f"notifications/{kind.value}.txt", context)),
        html=_render(f"notifications/{kind.value}.html", context),
        sender=current_app.config["MAIL_DEFAULT_SENDER"],
        reply_to=_reply_to(context["organiser"]["email"]),
        extra_headers={
            # RFC 3834: no out-of-office replies to a robot.
            "Auto-Submitted": "auto-generated",
            # RFC 2369 and 8058: mail clients offer "unsubscribe", which
            # stops this registration's reminders with one POST.
            "List-Unsubscribe": f"<{context['stop_reminders_url']}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    if with_calendar:
        attach_registration_calendar(message, registration)
    if with_checkin_qr:
        attach_checkin_qr(message, context["checkin_url"], context["checkin_qr_cid"])
    return message
