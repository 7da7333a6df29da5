"""Forms of the registrant's own page (Flask-WTF, CSRF-protected).

They check shape only (a number, known sessions); the rules (capacity,
overlapping sessions, registration window) belong to the registration
service, whose refusals the view ties back to these fields.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectMultipleField
from wtforms.validators import InputRequired, NumberRange, ValidationError

from eventsapp.catalog.availability import Availability
from eventsapp.catalog.models import Session
from eventsapp.formatting import format_span
from eventsapp.registrations.models import Registration

# Far above any real group, far below what could overflow a database integer.
SEATS_CEILING = 10_000


class ActionForm(FlaskForm):
    """No field: a POST button (confirm, cancel, erase) carrying the CSRF token."""


class SessionsField(SelectMultipleField):
    """Sessions as checkboxes, by id, with French messages for forged values."""

    def process_formdata(self, valuelist: list[str]) -> None:
        """Keep the ids (the valid ones stay ticked when the form is shown
        back); a value that is not a number is refused in French."""
        ids: list[int] = []
        forged = False
        for value in valuelist:
            try:
                ids.append(int(value))
            except ValueError:
                forged = True
        self.data = ids
        if forged:
            raise ValueError(_("Un atelier choisi n'appartient pas à cet événement."))

    def pre_validate(self, form: FlaskForm) -> None:
        """Every chosen id must be one of the event's sessions."""
        known = {value for value, _label in (self.choices or [])}
        if any(value not in known for value in self.data or []):
            raise ValidationError(_("Un atelier choisi n'appartient pas à cet événement."))


class SeatsField(IntegerField):
    """A number of seats; text that is not a whole number is refused in French."""

    def process_formdata(self, valuelist: list[str]) -> None:
        """Parse the number; keep what was typed to show it back."""
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            self.data = int(valuelist[0].strip())
        except ValueError as error:
            self.data = None
            raise ValueError(_("Indiquez un nombre entier de places, par exemple 2.")) from error


class ChangeForm(FlaskForm):
    """Change the seats or the sessions of a registration.

    Built by ``build_change_form``, which drops the fields the event does not
    use and sets the limits and choices of those it keeps.
    """

    seats = SeatsField(
        _l("Nombre de places"),
        validators=[InputRequired(message=_l("Indiquez le nombre de places."))],
    )
    sessions = SessionsField(_l("Ateliers ou créneaux"), coerce=int, validate_choice=True)


def session_label(session: Session, zone: str, availability: Availability | None) -> str:
    """ "Atelier financement — mardi 17 novembre 2026, 10 h – 12 h · 3 places restantes"."""
    label = f"{session.title} — {format_span(session.starts_at, session.ends_at, zone)}"
    if availability is not None and session.capacity is not None:
        label = f"{label} · {availability.label}"
    return label


def build_change_form(
    registration: Registration,
    session_availability: Mapping[int, Availability],
    *,
    show_seats: bool,
) -> ChangeForm:
    """The change form for ``registration``: the submitted values on a POST,
    the registration's current ones otherwise. ``seats`` is kept only when
    ``show_seats``; ``sessions`` only when the event has sessions."""
    event = registration.event
    form = ChangeForm(
        data={
            "seats": registration.seats,
            "sessions": [session.id for session in registration.sessions],
        }
    )
    if show_seats:
        most = max(event.max_seats_per_registration, 1)
        form.seats.validators = [
            InputRequired(message=_("Indiquez le nombre de places.")),
            NumberRange(
                min=1,
                max=min(most, SEATS_CEILING),
                message=_("Indiquez un nombre de places entre 1 et %(max)d.", max=most),
            ),
        ]
    else:
        del form.seats
    if event.sessions:
        form.sessions.choices = [
            (session.id, session_label(session, event.timezone, session_availability.get(session.id)))
            for session in event.sessions
        ]
    else:
        del form.sessions
    return form
