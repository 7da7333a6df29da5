"""Every model of the app, imported once so the metadata (and Alembic) sees all tables."""

from eventsapp.accounts.models import Membership, Role, User
from eventsapp.admin.events_models import EventReview
from eventsapp.admin.messages_models import OrganiserMessage
from eventsapp.calendars.models import CalendarFeed
from eventsapp.catalog.models import Campaign, Event, EventAudience, EventQuestion, Session, Theme
from eventsapp.checkin.models import CheckIn, WalkIn
from eventsapp.notifications.models import OutboxMessage
from eventsapp.organisations.models import Organisation, OrganisationKind
from eventsapp.registrations.models import (
    ParticipantCategory,
    Registration,
    RegistrationAnswer,
    RegistrationStatus,
)
from eventsapp.reminders.models import ReminderDelivery, ReminderRule

__all__ = [
    "CalendarFeed",
    "Campaign",
    "CheckIn",
    "Event",
    "EventAudience",
    "EventQuestion",
    "EventReview",
    "Membership",
    "Organisation",
    "OutboxMessage",
    "OrganisationKind",
    "OrganiserMessage",
    "ParticipantCategory",
    "Registration",
    "RegistrationAnswer",
    "RegistrationStatus",
    "ReminderDelivery",
    "ReminderRule",
    "Role",
    "Session",
    "Theme",
    "User",
    "WalkIn",
]
