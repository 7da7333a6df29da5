"""Forms of the organisers' events (Flask-WTF), in French.

Only shape is checked here: required fields, lengths, numbers, dates and
times (``form_fields``). The rules across fields and states are
``events_service``'s; the ``field`` of its ``EventRefused`` is mapped to a
field of these forms (``SERVICE_FIELDS``) so the message is shown beside it.
"""

from __future__ import annotations

import re
from datetime import time
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    Field,
    HiddenField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
    URLField,
)
from wtforms.validators import DataRequired, InputRequired, Optional, StopValidation

from eventsapp.admin.form_fields import (
    NONEXISTENT_TIME,
    AdminForm,
    FrenchDateField,
    FrenchTimeField,
    area_field,
    audience_choices,
    department_check,
    kind_choices,
    length,
    local_moment,
    number_field,
    parse_campaign,
    strip,
    text_field,
    timezone_choices,
)
from eventsapp.catalog.vocabulary import Audience, EventKind
from eventsapp.registrations.forms import CheckboxesField, NoControlCharacters, SendableAddress
from eventsapp.territories.departments import normalise_department_code
from eventsapp.text import parse_id


class ConfirmActionForm(FlaskForm):
    """A button and its CSRF token (publish, submit, withdraw, unpublish)."""


class CancelEventForm(AdminForm):
    reason = TextAreaField(
        _l("Raison de l'annulation"),
        description=_l("Elle est envoyée aux inscrit·es et affichée sur la page publique de l'événement."),
        validators=[
            DataRequired(_l("Indiquez la raison de l'annulation.")),
            length(2000),
            NoControlCharacters(multiline=True),
        ],
        filters=[strip],
        render_kw={"rows": 4},
    )


class DuplicateEventForm(AdminForm):
    SERVICE_FIELDS = {"starts_at": "start_date", "ends_at": "start_date"}

    title = text_field(_l("Titre de la copie"), 200, required=_l("Indiquez un titre."))
    start_date = FrenchDateField(
        _l("Date de début"), validators=[InputRequired(_l("Indiquez la date de la nouvelle édition."))]
    )
    start_time = FrenchTimeField(
        _l("Heure de début"),
        description=_l(
            "La copie dure aussi longtemps que l'original ; ateliers, dates d'inscription et rappels suivent."
        ),
        validators=[InputRequired(_l("Indiquez l'heure de début."))],
    )
    campaign_id = SelectField(_l("Campagne"), choices=[], validate_choice=False)

    def campaign_value(self) -> int | None:
        return parse_campaign(self.campaign_id)


class ReviewDecisionForm(AdminForm):
    """Approve (no comment) or return (with one) a submitted event."""

    event_id = HiddenField(validators=[InputRequired(_l("Choisissez un événement."))])
    comment = TextAreaField(
        _l("Commentaire pour l'organisateur"),
        description=_l("Ce qu'il faut changer avant que l'événement puisse être validé."),
        validators=[Optional(), length(2000), NoControlCharacters(multiline=True)],
        filters=[strip],
        render_kw={"rows": 3},
    )

    def event_value(self) -> int | None:
        return parse_id(self.event_id.data)


class EventForm(AdminForm):
    """Every public field of an event, its venue, dates and sign-up settings."""

    SERVICE_FIELDS = {
        "starts_at": "start_time",
        "ends_at": "end_time",
        "registration_opens_at": "opens_date",
        "registration_closes_at": "closes_date",
        "theme_ids": "themes",
        "waitlist_cutoff_minutes": "waitlist_cutoff_hours",
        "pending_expiry_minutes": "pending_expiry_hours",
    }

    title = text_field(_l("Titre"), 200, required=_l("Indiquez le titre de l'événement."))
    kind = SelectField(
        _l("Type d'événement"),
        choices=kind_choices,
        validators=[InputRequired(_l("Choisissez un type d'événement."))],
        invalid_choice_message=_l("Choisissez parmi les types proposés."),
    )
    summary = text_field(
        _l("Résumé (facultatif)"), 300, description=_l("Une phrase, montrée dans l'agenda sous le titre.")
    )
    description = area_field(_l("Description (facultatif)"), 20_000)
    audiences = CheckboxesField(
        _l("Publics visés"),
        choices=audience_choices,
        invalid_value_message=_l("Choisissez parmi les publics proposés."),
        invalid_choice_message=_l("Choisissez parmi les publics proposés."),
    )
    themes = CheckboxesField(
        _l("Thèmes"),
        coerce=int,
        choices=[],
        invalid_value_message=_l("Choisissez parmi les thèmes proposés."),
        invalid_choice_message=_l("Choisissez parmi les thèmes proposés."),
    )
    campaign_id = SelectField(
        _l("Campagne"),
        description=_l(
            "Un temps fort comme le Mois de l'ESS. "
            "Certaines campagnes valident les événements avant publication."
        ),
        choices=[],
        validate_choice=False,
    )

    start_date = FrenchDateField(
        _l("Date de début"), validators=[InputRequired(_l("Indiquez la date de début."))]
    )
    start_time = FrenchTimeField(
        _l("Heure de début"), validators=[InputRequired(_l("Indiquez l'heure de début."))]
    )
    end_date = FrenchDateField(
        _l("Date de fin"),
        description=_l("Laissez vide si l'événement finit le jour où il commence."),
        validators=[Optional()],
    )
    end_time = FrenchTimeField(_l("Heure de fin"), validators=[InputRequired(_l("Indiquez l'heure de fin."))])
    timezone = SelectField(
        _l("Fuseau horaire"),
        choices=timezone_choices,
        default="Europe/Paris",
        description=_l("Les dates et heures ci-dessus sont celles du lieu de l'événement."),
        validators=[InputRequired(_l("Choisissez un fuseau horaire."))],
        invalid_choice_message=_l("Choisissez parmi les fuseaux proposés."),
    )

    venue_name = text_field(
        _l("Nom du lieu (facultatif)"), 200, description=_l("Par exemple : Cinéma Le Vox.")
    )
    venue_address = text_field(_l("Adresse (facultatif)"), 300)
    venue_postcode = text_field(_l("Code postal (facultatif)"), 10)
    commune = text_field(
        _l("Commune"), 120, description=_l("Nécessaire pour publier, sauf événement en ligne.")
    )
    department = StringField(
        _l("Département (facultatif)"),
        description=_l("Son numéro, par exemple 72 : l'agenda se filtre par département."),
        validators=[Optional(), length(3), department_check],
        filters=[strip],
        render_kw={"maxlength": 3, "inputmode": "text"},
    )
    online_url = URLField(
        _l("Adresse en ligne (facultatif)"),
        description=_l("Pour un événement en ligne ou retransmis : https://…"),
        validators=[Optional(), length(500), NoControlCharacters()],
        filters=[strip],
    )
    accessibility_info = area_field(_l("Accessibilité (facultatif)"), 2000)
    is_free = BooleanField(_l("Gratuit"), default=True)
    price_info = text_field(_l("Tarifs (facultatif)"), 300)

    registration_required = BooleanField(
        _l("Inscription nécessaire"),
        default=True,
        description=_l("Décochez pour une entrée libre, sans inscription."),
    )
    capacity = number_field(
        _l("Nombre de places (facultatif)"), 0, 100_000, description=_l("Laissez vide pour ne pas limiter.")
    )
    max_seats_per_registration = number_field(
        _l("Places par inscription"),
        1,
        500,
        required=True,
        default=1,
        description=_l("Plus d'une pour les inscriptions de groupe (une classe, une équipe)."),
    )
    opens_date = FrenchDateField(
        _l("Ouverture des inscriptions : date (facultatif)"), validators=[Optional()]
    )
    opens_time = FrenchTimeField(
        _l("Ouverture des inscriptions : heure"),
        description=_l("À 0 h si vous laissez l'heure vide."),
        validators=[Optional()],
    )
    closes_date = FrenchDateField(_l("Clôture des inscriptions : date (facultatif)"), validators=[Optional()])
    closes_time = FrenchTimeField(
        _l("Clôture des inscriptions : heure"),
        description=_l("À 23 h 59 si vous laissez l'heure vide."),
        validators=[Optional()],
    )
    waitlist_enabled = BooleanField(_l("Liste d'attente quand c'est complet"))
    waitlist_cutoff_hours = number_field(
        _l("Plus de place attribuée depuis la liste d'attente à moins de (heures)"),
        0,
        24 * 30,
        required=True,
        default=2,
        description=_l("Nombre d'heures avant le début : passé ce délai, la liste d'attente ne bouge plus."),
    )
    requires_email_confirmation = BooleanField(
        _l("Confirmation par e-mail (double opt-in)"),
        description=_l(
            "La personne confirme son inscription en suivant un lien ; sinon sa place est libérée."
        ),
    )
    pending_expiry_hours = number_field(
        _l("Délai pour confirmer (heures)"), 1, 24 * 14, required=True, default=24
    )
    contact_name = text_field(_l("Contact : nom (facultatif)"), 200)
    contact_email = EmailField(
        _l("Contact : adresse e-mail (facultatif)"),
        description=_l("Les réponses aux e-mails envoyés aux inscrit·es y arrivent."),
        validators=[Optional(), length(254), NoControlCharacters()],
        filters=[strip],
    )
    contact_phone = TelField(
        _l("Contact : téléphone (facultatif)"),
        validators=[Optional(), length(40), NoControlCharacters()],
        filters=[strip],
    )
    shift_sessions = BooleanField(
        _l("Décaler aussi les ateliers"),
        description=_l("Si vous changez la date de début, les ateliers sont décalés d'autant."),
    )

    def validate_contact_email(self, field: Field) -> None:
        if field.data and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", field.data):
            raise StopValidation(_("Indiquez une adresse e-mail valide, par exemple nom@exemple.fr."))
        # Replies to the registrants' e-mails go to it (Reply-To).
        SendableAddress()(self, field)

    def validate_online_url(self, field: Field) -> None:
        if field.data and not field.data.startswith(("https://", "http://")):
            raise StopValidation(_("L'adresse doit commencer par https://."))

    def validate_opens_time(self, field: Field) -> None:
        if field.data is not None and self.opens_date.data is None and not self.opens_date.errors:
            raise StopValidation(_("Indiquez aussi la date."))

    def validate_closes_time(self, field: Field) -> None:
        if field.data is not None and self.closes_date.data is None and not self.closes_date.errors:
            raise StopValidation(_("Indiquez aussi la date."))

    def details_values(self) -> dict[str, Any] | None:
        """The service's ``EventDetails`` fields, or None (with errors on
        the fields) when a date and time do not make a moment."""
        zone = self.timezone.data
        starts_at = self.moment("start_date", "start_time", zone)
        end_day = self.end_date.data or self.start_date.data
        ends_at = None
        if end_day is not None and self.end_time.data is not None:
            ends_at = local_moment(end_day, self.end_time.data, zone)
            if ends_at is None:
                self.end_time.errors = [*self.end_time.errors, str(NONEXISTENT_TIME)]
        opens = self.moment("opens_date", "opens_time", zone, default=time(0, 0))
        closes = self.moment("closes_date", "closes_time", zone, default=time(23, 59))
        campaign_id = parse_campaign(self.campaign_id)
        if any(field.errors for field in self):
            return None
        return {
            "title": self.title.data,
            "kind": EventKind(self.kind.data),
            "starts_at": starts_at,
            "ends_at": ends_at,
            "timezone": zone,
            "summary": self.summary.data or "",
            "description": self.description.data or "",
            "audiences": [Audience(value) for value in self.audiences.data or []],
            "theme_ids": list(self.themes.data or []),
            "campaign_id": campaign_id,
            "venue_name": self.venue_name.data or "",
            "venue_address": self.venue_address.data or "",
            "venue_postcode": self.venue_postcode.data or "",
            "commune": self.commune.data or "",
            "department": normalise_department_code(self.department.data or "") or "",
            "online_url": self.online_url.data or None,
            "accessibility_info": self.accessibility_info.data or "",
            "is_free": bool(self.is_free.data),
            "price_info": self.price_info.data or "",
            "registration_required": bool(self.registration_required.data),
            "capacity": self.capacity.data,
            "registration_opens_at": opens,
            "registration_closes_at": closes,
            "waitlist_enabled": bool(self.waitlist_enabled.data),
            "waitlist_cutoff_minutes": self.waitlist_cutoff_hours.data * 60,
            "requires_email_confirmation": bool(self.requires_email_confirmation.data),
            "pending_expiry_minutes": self.pending_expiry_hours.data * 60,
            "max_seats_per_registration": self.max_seats_per_registration.data,
            "contact_name": self.contact_name.data or "",
            "contact_email": (self.contact_email.data or "").lower() or None,
            "contact_phone": self.contact_phone.data or None,
        }

    def fill_from(self, event: Any) -> None:
        """Show an event's current values (on GET)."""
        zone = ZoneInfo(event.timezone)
        starts, ends = event.starts_at.astimezone(zone), event.ends_at.astimezone(zone)
        simple = (
            "title", "summary", "description", "venue_name", "venue_address", "venue_postcode", "commune",
            "department", "online_url", "accessibility_info", "is_free", "price_info",
            "registration_required",
            "capacity", "waitlist_enabled", "requires_email_confirmation", "max_seats_per_registration",
            "contact_name", "contact_email", "contact_phone", "timezone",
        )  # fmt: skip
        for name in simple:
            self[name].data = getattr(event, name)
        self.kind.data = event.kind.value
        self.audiences.data = [audience.value for audience in event.audiences]
        self.themes.data = [theme.id for theme in event.themes]
        self.campaign_id.data = str(event.campaign_id or "")
        self.start_date.data, self.start_time.data = starts.date(), starts.time()
        self.end_date.data = ends.date() if ends.date() != starts.date() else None
        self.end_time.data = ends.time()
        for prefix, moment in (
            ("opens", event.registration_opens_at),
            ("closes", event.registration_closes_at),
        ):
            if moment is not None:
                local = moment.astimezone(zone)
                self[f"{prefix}_date"].data, self[f"{prefix}_time"].data = local.date(), local.time()
        self.waitlist_cutoff_hours.data = event.waitlist_cutoff_minutes // 60
        self.pending_expiry_hours.data = max(event.pending_expiry_minutes // 60, 1)
