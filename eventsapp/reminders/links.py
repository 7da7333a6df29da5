"""The "stop the reminders" link of every e-mail (and its List-Unsubscribe
header): a signed link (``registrations.signed_links``) that names one
registration and can only stop its reminders, so it may travel in a mail
header, which the person's private link (that can cancel) must not."""

from __future__ import annotations

from eventsapp.links import absolute_url
from eventsapp.registrations.models import Registration
from eventsapp.registrations.signed_links import RegistrationSigner

_signer = RegistrationSigner("eventsapp.reminders.stop")


def stop_token(registration: Registration) -> str:
    """The signed token of ``registration``'s stop link."""
    return _signer.token(registration)


def stop_reminders_url(registration: Registration) -> str:
    return absolute_url("reminders.stop", token=stop_token(registration))


def registration_id_from_stop_token(token: str) -> tuple[int, str] | None:
    """(registration id, salt prefix) of a genuine token, else None."""
    return _signer.read(token)
