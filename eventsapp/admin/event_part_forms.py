"""Forms of an event's parts: a session, a question, a reminder rule
(Flask-WTF, in French; shape only, the rules are the services').

Each edit form carries the id of what it changes in a hidden field (the
URL names only the event), so one page can list the parts and edit one.
"""

from __future__ import annotations

from datetime import time
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, RadioField, SelectField, TextAreaField, URLField
from wtforms.validators import DataRequired, InputRequired, Optional, StopValidation

from eventsapp.admin.form_fields import (
    AdminForm,
    FrenchDateField,
    FrenchTimeField,
    area_field,
    choices_of,
    length,
    number_field,
    strip,
    text_field,
)
from eventsapp.catalog.vocabulary import QuestionKind
from eventsapp.registrations.forms import NoControlCharacters
from eventsapp.reminders.models import ReminderAnchor, ReminderAudience
from eventsapp.text import parse_id


class PartForm(AdminForm):
    """A form about one part of an event, named by ``item_id`` when editing."""

    item_id = HiddenField()

    def item_value(self) -> int | None:
        return parse_id(self.item_id.data)


class ItemForm(PartForm):
    """Remove or move one part: its id (required) and the CSRF token."""

    item_id = HiddenField(validators=[InputRequired(_l("Choisissez un élément de la liste."))])
    direction = HiddenField()

    def validate_item_id(self, field: Any) -> None:
        if self.item_value() is None:
            raise StopValidation(_("Choisissez un élément de la liste."))


class SessionForm(PartForm):
    SERVICE_FIELDS = {"starts_at": "start_time", "ends_at": "end_time"}

    title = text_field(_l("Titre de l'atelier ou du créneau"), 200, required=_l("Indiquez un titre."))
    day = FrenchDateField(_l("Date"), validators=[InputRequired(_l("Indiquez la date."))])
    start_time = FrenchTimeField(
        _l("Heure de début"), validators=[InputRequired(_l("Indiquez l'heure de début."))]
    )
    end_time = FrenchTimeField(_l("Heure de fin"), validators=[InputRequired(_l("Indiquez l'heure de fin."))])
    location = text_field(_l("Salle (facultatif)"), 200)
    capacity = number_field(
        _l("Nombre de places (facultatif)"), 0, 100_000, description=_l("Laissez vide pour ne pas limiter.")
    )
    description = area_field(_l("Description (facultatif)"), 5000)

    def moments(self, zone: str) -> tuple[Any, Any] | None:
        starts = self.moment("day", "start_time", zone)
        ends = self.moment("day", "end_time", zone)
        return None if starts is None or ends is None else (starts, ends)


class QuestionForm(PartForm):
    label = text_field(_l("Question"), 300, required=_l("Écrivez la question."))
    kind = RadioField(
        _l("Type de réponse"),
        choices=lambda: choices_of(QuestionKind.choices()),
        default=QuestionKind.TEXT.value,
        validators=[InputRequired(_l("Choisissez un type de réponse."))],
        invalid_choice_message=_l("Choisissez parmi les types proposés."),
    )
    choices = TextAreaField(
        _l("Réponses proposées"),
        description=_l("Pour un choix unique ou multiple : une réponse par ligne."),
        validators=[Optional(), length(6000), NoControlCharacters(multiline=True)],
        render_kw={"rows": 4},
    )
    help_text = text_field(
        _l("Aide (facultatif)"), 300, description=_l("Une précision affichée sous la question.")
    )
    required = BooleanField(_l("Réponse obligatoire"))

    def choice_list(self) -> list[str]:
        return [line.strip() for line in (self.choices.data or "").splitlines() if line.strip()]


class RuleForm(PartForm):
    SERVICE_FIELDS = {"offset": "days"}

    anchor = RadioField(
        _l("Quand"),
        choices=lambda: choices_of(ReminderAnchor.choices()),
        default=ReminderAnchor.BEFORE_START.value,
        validators=[InputRequired(_l("Choisissez avant le début ou après la fin."))],
        invalid_choice_message=_l("Choisissez parmi les réponses proposées."),
    )
    days = number_field(_l("Jours"), 0, 365, required=True, default=1)
    hours = number_field(_l("Heures"), 0, 23, required=True, default=0)
    minutes = number_field(_l("Minutes"), 0, 59, required=True, default=0)
    at_time = FrenchTimeField(
        _l("À heure fixe (facultatif)"),
        description=_l("Par exemple 9:00 : le rappel part ce jour-là à cette heure, heure de l'événement."),
        validators=[Optional()],
    )
    audience = SelectField(
        _l("Pour qui"),
        choices=lambda: choices_of(ReminderAudience.choices()),
        default=ReminderAudience.CONFIRMED.value,
        validators=[InputRequired(_l("Choisissez à qui il s'adresse."))],
        invalid_choice_message=_l("Choisissez parmi les réponses proposées."),
    )
    subject = text_field(_l("Objet de l'e-mail"), 200, required=_l("Écrivez l'objet de l'e-mail."))
    body = TextAreaField(
        _l("Texte de l'e-mail"),
        validators=[
            DataRequired(_l("Écrivez le texte de l'e-mail.")),
            length(10_000),
            NoControlCharacters(multiline=True),
        ],
        filters=[strip],
        render_kw={"rows": 8},
    )
    survey_url = URLField(
        _l("Adresse du questionnaire (facultatif)"),
        description=_l("Pour un remerciement : remplace {questionnaire} dans le texte."),
        validators=[Optional(), length(500), NoControlCharacters()],
        filters=[strip],
    )
    active = BooleanField(_l("Actif"), default=True)

    def local_time(self) -> time | None:
        return self.at_time.data
