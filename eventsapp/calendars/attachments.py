"""The event's .ics attached to a person's e-mails (confirmation, promotion,
and later the notices of a change), with the sessions they chose."""

from __future__ import annotations

from flask_mail import Message

from eventsapp.calendars.ical import calendar_filename
from eventsapp.calendars.service import registration_calendar
from eventsapp.registrations.models import Registration

# Flask-Mail builds the part's type from "main/sub" only: no parameters.
ATTACHMENT_TYPE = "text/calendar"


def attach_registration_calendar(message: Message, registration: Registration) -> None:
    """Attach ``registration``'s event (and chosen sessions) as an .ics file.
    The same UIDs as the public feeds: importing it again updates the event
    instead of adding a copy."""
    message.attach(
        filename=calendar_filename(registration.event.slug),
        content_type=ATTACHMENT_TYPE,
        data=registration_calendar(registration),
    )
