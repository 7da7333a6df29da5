"""Fields and helpers shared by the back-office's event forms: dates and
times as French people type them ("17/11/2026", "18h30", or what a date
picker sends), whole numbers, and ``AdminForm``, which takes a service's
message beside the field it names.

Dates and times are read in the event's time zone; a time that does not
exist that day (the spring change of hour) is refused.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    Field,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, StopValidation

from eventsapp.catalog.vocabulary import Audience, EventKind
from eventsapp.registrations.forms import NoControlCharacters
from eventsapp.territories.departments import normalise_department_code

# The zones of metropolitan France and the overseas territories.
TIMEZONES = (
    ("Europe/Paris", _l("Métropole (heure de Paris)")),
    ("America/Guadeloupe", _l("Guadeloupe")),
    ("America/Martinique", _l("Martinique")),
    ("America/Cayenne", _l("Guyane")),
    ("Indian/Reunion", _l("La Réunion")),
    ("Indian/Mayotte", _l("Mayotte")),
    ("America/Miquelon", _l("Saint-Pierre-et-Miquelon")),
    ("Pacific/Noumea", _l("Nouvelle-Calédonie")),
    ("Pacific/Tahiti", _l("Polynésie française")),
)
_DATE_FR = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_DATE_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_TIME = re.compile(r"^(\d{1,2})\s*(?:h|:|H)\s*(\d{2})?$|^(\d{1,2})$")


def strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def length(maximum: int) -> Length:
    return Length(max=maximum, message=_l("%(max)d caractères au plus.", max=maximum))


def text_field(label: Any, maximum: int, *, required: str | None = None, **kwargs: Any) -> StringField:
    validators = [DataRequired(required)] if required else [Optional()]
    return StringField(
        label,
        validators=[*validators, length(maximum), NoControlCharacters()],
        filters=[strip],
        render_kw={"maxlength": maximum},
        **kwargs,
    )


def area_field(label: Any, maximum: int, **kwargs: Any) -> TextAreaField:
    return TextAreaField(
        label,
        validators=[length(maximum), NoControlCharacters(multiline=True)],
        filters=[strip],
        render_kw={"rows": 5},
        **kwargs,
    )


MIN_YEAR, MAX_YEAR = 2000, 2100


class FrenchDateField(StringField):
    """A day, typed "17/11/2026" or sent by a date picker as "2026-11-17"."""

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("render_kw", {"type": "date", "placeholder": "jj/mm/aaaa"})
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist: list[str]) -> None:
        self.raw = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if not self.raw:
            self.raw_data = []  # blanks are no input: InputRequired says so
            return
        match = _DATE_FR.match(self.raw)
        parts = (match.group(3), match.group(2), match.group(1)) if match else None
        match = _DATE_ISO.match(self.raw)
        if match:
            parts = match.groups()
        try:
            self.data = date(*(int(part) for part in parts)) if parts else None
        except ValueError:
            self.data = None
        if self.data is None:
            raise ValueError(_("Indiquez une date valable, par exemple 17/11/2026."))
        if not MIN_YEAR <= self.data.year <= MAX_YEAR:
            # Year 1 or 9999 overflows once moved to UTC; no event is that far.
            self.data = None
            raise ValueError(_("Indiquez une année entre %(low)d et %(high)d.", low=MIN_YEAR, high=MAX_YEAR))

    def _value(self) -> str:
        # ISO once understood: a date picker shows nothing for "17/11/2026".
        if isinstance(self.data, date):
            return self.data.isoformat()
        return self.raw_data[0] if self.raw_data else ""

    def pre_validate(self, form: FlaskForm) -> None:
        if self.process_errors:
            raise StopValidation()


class FrenchTimeField(StringField):
    """A time of day, typed "18h30", "18 h", "18:30" or sent by a time picker."""

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("render_kw", {"type": "time", "placeholder": "hh:mm"})
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist: list[str]) -> None:
        raw = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if not raw:
            self.raw_data = []  # blanks are no input: InputRequired says so
            return
        match = _TIME.match(raw)
        if match:
            hour = int(match.group(1) or match.group(3))
            minute = int(match.group(2) or 0)
            if hour < 24 and minute < 60:
                self.data = time(hour, minute)
        if self.data is None:
            raise ValueError(_("Indiquez une heure valable, par exemple 18:30 ou 18h30."))

    def _value(self) -> str:
        if isinstance(self.data, time):
            return self.data.strftime("%H:%M")
        return self.raw_data[0] if self.raw_data else ""

    def pre_validate(self, form: FlaskForm) -> None:
        if self.process_errors:
            raise StopValidation()


class WholeNumberField(IntegerField):
    """A whole number; anything else gets one French message."""

    def process_formdata(self, valuelist: list[str]) -> None:
        raw = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if not raw:
            return
        if not re.fullmatch(r"[+-]?\d{1,9}", raw):
            raise ValueError(_("Indiquez un nombre entier en chiffres, par exemple 30."))
        self.data = int(raw)

    def pre_validate(self, form: FlaskForm) -> None:
        if self.process_errors:
            raise StopValidation()


def number_field(label: Any, minimum: int, maximum: int, *, required: bool = False, **kwargs: Any) -> Field:
    message = _l("Indiquez un nombre entre %(min)d et %(max)d.", min=minimum, max=maximum)
    first = InputRequired(_l("Indiquez un nombre.")) if required else Optional()
    return WholeNumberField(
        label,
        validators=[first, NumberRange(min=minimum, max=maximum, message=message)],
        render_kw={"inputmode": "numeric", "min": minimum, "max": maximum},
        **kwargs,
    )


def local_moment(day: date, clock: time, zone_name: str) -> datetime | None:
    """``day`` at ``clock`` in the zone, or None when that time does not
    exist there that day (skipped by the change to summer time)."""
    zone = ZoneInfo(zone_name)
    moment = datetime.combine(day, clock, tzinfo=zone)
    back = moment.astimezone(ZoneInfo("UTC")).astimezone(zone)
    if back.replace(tzinfo=None) != moment.replace(tzinfo=None):
        return None
    return moment


NONEXISTENT_TIME = _l(
    "Cette heure n'existe pas ce jour-là (passage à l'heure d'été) : choisissez-en une autre."
)


class AdminForm(FlaskForm):
    """A form that takes a service's message beside one of its fields."""

    #: Service field name → this form's field name, where they differ.
    SERVICE_FIELDS: dict[str, str] = {}

    def add_error(self, field_name: str | None, message: str) -> bool:
        """Attach ``message`` to the field the service named; False when
        there is no such field (the page shows it at the top)."""
        name = self.SERVICE_FIELDS.get(field_name or "", field_name)
        if not name or name not in self._fields:
            return False
        self[name].errors = [*self[name].errors, message]
        return True

    def moment(
        self, day_field: str, time_field: str, zone: str, default: time | None = None
    ) -> datetime | None:
        """The aware datetime of a date field and a time field; None (and an
        error on the time field) when the time does not exist."""
        day, clock = self[day_field].data, self[time_field].data or default
        if day is None or clock is None:
            return None
        moment = local_moment(day, clock, zone)
        if moment is None:
            self[time_field].errors = [*self[time_field].errors, str(NONEXISTENT_TIME)]
        return moment


def parse_campaign(field: SelectField) -> int | None:
    """The chosen campaign id; "" is none. An unknown id raises a form error."""
    raw = (field.data or "").strip()
    if not raw:
        return None
    valid = {str(choice.value) for choice in field.choices}
    if raw not in valid:
        field.errors = [*field.errors, _("Choisissez une campagne dans la liste.")]
        return None
    return int(raw)


def choices_of(pairs: list[tuple[object, object]]) -> list[SelectChoice]:
    """(value, label) pairs as WTForms choices."""
    return [SelectChoice(value, label) for value, label in pairs]


def kind_choices() -> list[SelectChoice]:
    return choices_of(EventKind.choices())


def audience_choices() -> list[SelectChoice]:
    return choices_of(Audience.choices())


def timezone_choices() -> list[SelectChoice]:
    return choices_of(list(TIMEZONES))


def department_check(form: FlaskForm, field: Field) -> None:
    if field.data and normalise_department_code(field.data) is None:
        raise StopValidation(_("Indiquez un numéro de département, par exemple 72 ou 2A."))
