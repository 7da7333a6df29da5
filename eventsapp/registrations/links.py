"""The registrant's private link, for pages and e-mails."""

from __future__ import annotations

from eventsapp.links import absolute_url
from eventsapp.registrations.models import Registration
from eventsapp.registrations.tokens import derive_token


def registration_page_url(registration: Registration) -> str:
    """The absolute URL of the person's own page for ``registration``."""
    return absolute_url("registrations.own_page", token=derive_token(registration.token_salt))
