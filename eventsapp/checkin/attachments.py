"""The check-in QR code of confirmation and promotion e-mails.

The QR code holds the registration's check-in URL (``checkin/links.py``);
staff scan it with the phone's camera at the door. It travels as an inline
PNG part with a ``Content-ID``, which the HTML shows with ``<img
src="cid:…">`` (no remote image to load, so it shows even when the mail
client blocks remote content); the text part prints the URL itself.

Flask-Mail puts attachments in a ``multipart/mixed`` beside the
``multipart/alternative`` body rather than a ``multipart/related``; the
common clients (Gmail, Outlook, Apple Mail, Thunderbird) resolve ``cid:``
references across it, and the others show the PNG as an attachment.
"""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import segno
from flask import current_app
from flask_mail import Message

from eventsapp.checkin.links import checkin_url
from eventsapp.notifications.models import EmailKind
from eventsapp.registrations.models import Registration, RegistrationStatus

# E-mails that tell a person their seat is theirs.
QR_KINDS = frozenset({EmailKind.CONFIRMATION, EmailKind.PROMOTED})
QR_FILENAME = "qr-code-pointage.png"
# Pixels per module and quiet zone: about 300 px square, readable from a
# phone screen held up to another phone.
_SCALE = 8
_BORDER = 4


def wants_checkin_qr(kind: EmailKind, registration: Registration) -> bool:
    """A confirmation, or a promotion that is confirmed already (one still to
    confirm gets its QR code with the confirmation that follows)."""
    return EmailKind(kind) in QR_KINDS and registration.status == RegistrationStatus.CONFIRMED


def checkin_qr_png(url: str) -> bytes:
    """The PNG of a QR code holding ``url`` (error correction M)."""
    buffer = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buffer, kind="png", scale=_SCALE, border=_BORDER)
    return buffer.getvalue()


def checkin_email_context(registration: Registration) -> dict[str, str]:
    """What the e-mail templates need: the URL (text part) and the
    ``Content-ID`` of the image (``cid:`` in the HTML part)."""
    host = urlsplit(current_app.config.get("PUBLIC_URL") or "").hostname or "localhost"
    return {
        "checkin_url": checkin_url(registration),
        "checkin_qr_cid": f"checkin-qr.{registration.id}@{host}",
    }


def attach_checkin_qr(message: Message, checkin_url: str, content_id: str) -> None:
    """Attach the QR code of ``checkin_url`` inline, as ``<content_id>``."""
    message.attach(
        filename=QR_FILENAME,
        content_type="image/png",
        data=checkin_qr_png(checkin_url),
        disposition="inline",
        headers={"Content-ID": f"<{content_id}>"},
    )
