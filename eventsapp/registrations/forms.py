"""The sign-up form, built per event (Flask-WTF).

Only shape is checked here, in French: required fields, lengths, an e-mail
address, whole numbers, choices that were offered. The rules (is the event
open, do the seats fit, do two workshops overlap…) belong to
``registrations.service``; the ``field`` of its ``InvalidRegistration``
names one of these fields ("seats", "sessions", "consent", "question_<id>"),
so its message is shown beside the right one (``SignUpForm.add_error``).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    Field,
    IntegerField,
    RadioField,
    SelectMultipleField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Regexp, StopValidation
from wtforms.widgets import CheckboxInput, ListWidget

from eventsapp.catalog.availability import Availability
from eventsapp.catalog.models import Event
from eventsapp.catalog.vocabulary import QuestionKind
from eventsapp.formatting import format_span
from eventsapp.notifications.mime import is_sendable_address
from eventsapp.registrations.models import ParticipantCategory
from eventsapp.registrations.service import SignUpRequest
from eventsapp.registrations.validation import MAX_ANSWER_LENGTH

MAX_NAME_LENGTH = 100
MAX_EMAIL_LENGTH = 254
MAX_STRUCTURE_LENGTH = 200
MAX_PHONE_LENGTH = 40
# The honeypot: a field people never see, that bots fill in.
HONEYPOT_FIELD = "website"
# Beyond this many digits a number of seats is "too many", not "not a number".
_MAX_SEAT_DIGITS = 9
_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")
# The same words as the service's refusal.
CONSENT_MISSING = _l("Votre accord est nécessaire pour que l'organisateur enregistre votre inscription.")


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class NoControlCharacters:
    """Refuse invisible control characters (PostgreSQL cannot even store a
    NUL byte); tabs and line breaks are allowed where ``multiline``."""

    def __init__(self, multiline: bool = False) -> None:
        self.allowed = "\t\r\n" if multiline else ""

    def __call__(self, form: FlaskForm, field: Field) -> None:
        values = field.data if isinstance(field.data, list) else [field.data]
        for value in values:
            if isinstance(value, str) and any(
                unicodedata.category(char) == "Cc" and char not in self.allowed for char in value
            ):
                raise StopValidation(_("Ce champ contient des caractères non autorisés."))


class SendableAddress:
    """Refuse an address our e-mails cannot reach: accents or other
    non-ASCII letters before the "@" need SMTPUTF8, which the mail servers
    on the way may not offer, and a domain must be writable in IDNA (an
    accented domain is fine)."""

    def __call__(self, form: FlaskForm, field: Field) -> None:
        if field.data and not is_sendable_address(field.data):
            raise StopValidation(
                _(
                    "Nos e-mails ne peuvent pas être envoyés à cette adresse (accents ou caractères "
                    "spéciaux avant le « @ », ou nom de domaine invalide) : indiquez-en une autre."
                )
            )


class AtLeastOne:
    """At least one box ticked (without marking every box ``required``, as
    ``DataRequired`` would)."""

    def __init__(self, message: str) -> None:
        self.message = message

    def __call__(self, form: FlaskForm, field: Field) -> None:
        if not field.process_errors and not field.data:
            raise StopValidation(self.message)


def _length(maximum: int) -> Length:
    return Length(max=maximum, message=_l("%(max)d caractères au plus.", max=maximum))


class SeatsField(IntegerField):
    """A whole number of seats; anything else gets one French message."""

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist:
            return
        text = valuelist[0].strip()
        if not _WHOLE_NUMBER.fullmatch(text):
            self.data = None
            raise ValueError(_("Indiquez un nombre de places en chiffres, par exemple 1."))
        digits = text.lstrip("+-")
        if len(digits) > _MAX_SEAT_DIGITS:
            # Huge numbers get the range message rather than a parse error.
            sign = -1 if text.startswith("-") else 1
            self.data = sign * 10**_MAX_SEAT_DIGITS
        else:
            self.data = int(text)

    def pre_validate(self, form: FlaskForm) -> None:
        if self.process_errors:
            raise StopValidation()


class ChoiceRadioField(RadioField):
    """Radio buttons; an unknown value is refused in French, and nothing
    ticked is left to the validators (required or not)."""

    def pre_validate(self, form: FlaskForm) -> None:
        if not self.raw_data or not self.raw_data[0]:
            return
        super().pre_validate(form)


class CheckboxesField(SelectMultipleField):
    """A group of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _consent_field(description: str | None = None) -> BooleanField:
    return BooleanField(
        _l("J'accepte que mes données soient utilisées ainsi pour mon inscription."),
        description=description,
        validators=[DataRequired(CONSENT_MISSING)],
    )


class SignUpForm(FlaskForm):
    """Fields every event asks for; ``signup_form_class`` adds the event's own."""

    first_name = StringField(
        _l("Prénom"),
        validators=[
            DataRequired(_l("Indiquez votre prénom.")),
            _length(MAX_NAME_LENGTH),
            NoControlCharacters(),
        ],
        filters=[_strip],
        render_kw={"autocomplete": "given-name", "maxlength": MAX_NAME_LENGTH},
    )
    last_name = StringField(
        _l("Nom"),
        validators=[DataRequired(_l("Indiquez votre nom.")), _length(MAX_NAME_LENGTH), NoControlCharacters()],
        filters=[_strip],
        render_kw={"autocomplete": "family-name", "maxlength": MAX_NAME_LENGTH},
    )
    email = EmailField(
        _l("Adresse e-mail"),
        description=_l(
            "La confirmation et le lien pour modifier ou annuler votre inscription y seront envoyés."
        ),
        validators=[
            DataRequired(_l("Indiquez votre adresse e-mail.")),
            _length(MAX_EMAIL_LENGTH),
            NoControlCharacters(),
            SendableAddress(),
            Email(_l("Indiquez une adresse e-mail valide, par exemple nom@exemple.fr.")),
        ],
        filters=[_strip],
        render_kw={"autocomplete": "email", "maxlength": MAX_EMAIL_LENGTH, "spellcheck": "false"},
    )
    phone = TelField(
        _l("Téléphone (facultatif)"),
        description=_l("Seulement pour vous prévenir d'un changement de dernière minute."),
        validators=[
            _length(MAX_PHONE_LENGTH),
            NoControlCharacters(),
            Regexp(
                r"^[0-9+().\s-]*$",
                message=_l("Indiquez un numéro de téléphone avec des chiffres, par exemple 06 12 34 56 78."),
            ),
        ],
        filters=[_strip],
        render_kw={"autocomplete": "tel", "maxlength": MAX_PHONE_LENGTH},
    )
    structure = StringField(
        _l("Structure (facultatif)"),
        description=_l("Association, entreprise, collectivité, établissement… que vous représentez."),
        validators=[_length(MAX_STRUCTURE_LENGTH), NoControlCharacters()],
        filters=[_strip],
        render_kw={"autocomplete": "organization", "maxlength": MAX_STRUCTURE_LENGTH},
    )
    consent = _consent_field()
    website = StringField(
        _l("Site web (laissez ce champ vide)"),
        render_kw={"tabindex": "-1", "autocomplete": "off"},
    )

    # Set by ``signup_form_class``: the event's questions, id → kind, in order.
    question_kinds: dict[int, QuestionKind] = {}

    @property
    def honeypot_filled(self) -> bool:
        """True when the hidden field was filled in: a bot, not a person."""
        return bool((self[HONEYPOT_FIELD].data or "").strip())

    @property
    def question_fields(self) -> list[Field]:
        """The event's own questions, in the organiser's order."""
        return [self[f"question_{question_id}"] for question_id in self.question_kinds]

    def add_error(self, field_name: str | None, message: str) -> bool:
        """Attach a service's message to the field it names; False when the
        form has no such field (the page then shows it at the top)."""
        if not field_name or field_name not in self._fields:
            return False
        field = self[field_name]
        field.errors = [*field.errors, message]
        return True

    def answers(self) -> dict[int, Any]:
        """The answers, shaped as the service expects them."""
        answers: dict[int, Any] = {}
        for question_id, kind in self.question_kinds.items():
            data = self[f"question_{question_id}"].data
            if kind == QuestionKind.YES_NO:
                answers[question_id] = {"oui": True, "non": False}.get(data or "")
            elif kind == QuestionKind.MULTIPLE_CHOICE:
                answers[question_id] = list(data or [])
            else:
                answers[question_id] = data or None
        return answers

    def signup_request(self) -> SignUpRequest:
        """What the person asks for, once the form is valid."""
        seats = self._fields.get("seats")
        sessions = self._fields.get("sessions")
        return SignUpRequest(
            first_name=self.first_name.data,
            last_name=self.last_name.data,
            email=self.email.data,
            category=ParticipantCategory(self.category.data),
            consent=bool(self.consent.data),
            seats=seats.data if seats is not None else 1,
            phone=self.phone.data or None,
            structure=self.structure.data or "",
            session_ids=list(sessions.data or []) if sessions is not None else [],
            answers=self.answers(),
        )


def consent_text(event: Event) -> str:
    """What is kept, why, who sees it and for how long (shown above the box)."""
    return _(
        "Pour organiser l'événement et vous envoyer les e-mails qui le concernent, nous conservons "
        "vos nom et prénom, votre adresse e-mail, votre téléphone, votre structure et vos réponses. "
        "Seul l'organisateur, %(organiser)s, les voit. Elles sont effacées ou rendues anonymes "
        "12 mois après l'événement ; vous pouvez aussi les effacer à tout moment depuis votre page "
        "d'inscription, dont le lien figure dans chaque e-mail.",
        organiser=event.organisation.name,
    )


def _session_label(event: Event, session: Any, availability: Availability | None) -> str:
    label = f"{session.title} — {format_span(session.starts_at, session.ends_at, event.timezone)}"
    if session.capacity is not None and availability is not None:
        label += f" — {availability.label}"
    return label


def _question_field(question: Any) -> Field:
    required = question.required
    label = question.label if required else _("%(label)s (facultatif)", label=question.label)
    invalid = _("Choisissez parmi les réponses proposées.")
    missing = _("Cette question est obligatoire.")
    common: dict[str, Any] = {"description": question.help_text or None}
    if question.kind == QuestionKind.TEXT:
        validators = [DataRequired(missing)] if required else []
        validators += [_length(MAX_ANSWER_LENGTH), NoControlCharacters(multiline=True)]
        return TextAreaField(label, validators=validators, filters=[_strip], **common)
    if question.kind == QuestionKind.MULTIPLE_CHOICE:
        return CheckboxesField(
            label,
            choices=[SelectChoice(choice, choice) for choice in question.choices],
            validators=[AtLeastOne(missing)] if required else [],
            invalid_value_message=invalid,
            invalid_choice_message=invalid,
            **common,
        )
    if question.kind == QuestionKind.YES_NO:
        choices = [SelectChoice("oui", _("Oui")), SelectChoice("non", _("Non"))]
    else:
        choices = [SelectChoice(choice, choice) for choice in question.choices]
    return ChoiceRadioField(
        label,
        choices=choices,
        validators=[InputRequired(missing)] if required else [],
        invalid_choice_message=invalid,
        **common,
    )


def signup_form_class(event: Event, session_availability: dict[int, Availability]) -> type[SignUpForm]:
    """A form class for ``event``: its participant categories, seats (group
    sign-up), sessions with their time and seats left, and its own questions."""

    class EventSignUpForm(SignUpForm):
        pass

    EventSignUpForm.category = ChoiceRadioField(
        _("Vous venez en tant que"),
        choices=[SelectChoice(value, label) for value, label in ParticipantCategory.choices()],
        validators=[InputRequired(_("Indiquez à quel titre vous venez."))],
        invalid_choice_message=_("Choisissez parmi les réponses proposées."),
    )
    maximum = event.max_seats_per_registration
    if maximum > 1:
        EventSignUpForm.seats = SeatsField(
            _("Nombre de places"),
            description=_(
                "Pour un groupe ou une classe : une place par personne, jusqu'à %(max)d.", max=maximum
            ),
            default=1,
            validators=[
                NumberRange(
                    min=1,
                    max=maximum,
                    message=_("Indiquez un nombre de places entre 1 et %(max)d.", max=maximum),
                )
            ],
            render_kw={"min": 1, "max": maximum, "inputmode": "numeric"},
        )
    if event.sessions:
        EventSignUpForm.sessions = CheckboxesField(
            _("Ateliers ou créneaux"),
            description=_("Vous pouvez en choisir plusieurs s'ils n'ont pas lieu en même temps."),
            coerce=int,
            choices=[
                SelectChoice(session.id, _session_label(event, session, session_availability.get(session.id)))
                for session in event.sessions
            ],
            validators=[AtLeastOne(_("Choisissez au moins un atelier ou créneau."))],
            invalid_value_message=_("Un atelier choisi n'appartient pas à cet événement."),
            invalid_choice_message=_("Un atelier choisi n'appartient pas à cet événement."),
        )
    EventSignUpForm.consent = _consent_field(consent_text(event))
    for question in event.questions:
        setattr(EventSignUpForm, f"question_{question.id}", _question_field(question))
    EventSignUpForm.question_kinds = {question.id: question.kind for question in event.questions}
    return EventSignUpForm
