"""The check-in link of a registration: what the QR code of its confirmation
e-mail holds, and what staff open by scanning it at the door.

It is a signed link (``registrations.signed_links``), like the "stop the
reminders" link: it names one registration and can do nothing by itself.
The page it opens requires a staff login of the event's organisation, and
checking in is a POST from that page. It is *not* the person's private link
(which can change or cancel the registration): a QR code is shown at a door,
photographed, printed.
"""

from __future__ import annotations

from eventsapp.links import absolute_url
from eventsapp.registrations.models import Registration
from eventsapp.registrations.signed_links import RegistrationSigner, still_names

_signer = RegistrationSigner("eventsapp.checkin.scan")


def checkin_token(registration: Registration) -> str:
    """The signed token of ``registration``'s check-in link."""
    return _signer.token(registration)


def checkin_url(registration: Registration) -> str:
    """The absolute check-in URL (under ``PUBLIC_URL``) staff open by scanning."""
    return absolute_url("admin_checkin.scan", t=checkin_token(registration))


def read_checkin_token(token: str | None) -> tuple[int, str] | None:
    """(registration id, salt prefix) of a genuine token, else None."""
    return _signer.read(token)


#: Does the token's salt prefix still name the registration (not erased)?
registration_matches = still_names
