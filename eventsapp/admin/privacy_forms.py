"""Forms of the personal-data pages (Flask-WTF): only shape, in French; the
rules are ``admin.privacy_service``'s."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired

from eventsapp.accounts.forms import AccountForm, _email_field, _length, _strip
from eventsapp.accounts.service import MAX_EMAIL_LENGTH
from eventsapp.organisations.models import MAX_RETENTION_MONTHS

_EMAIL_INVALID = _l("Indiquez une adresse e-mail valide, par exemple nom@exemple.fr.")


def _person_field() -> HiddenField:
    # The address found by the search, carried by the buttons of its page.
    return HiddenField(
        validators=[
            DataRequired(_l("Cherchez d'abord la personne par son adresse e-mail.")),
            _length(MAX_EMAIL_LENGTH),
            Email(_EMAIL_INVALID),
        ],
        filters=[_strip],
    )


class PersonSearchForm(AccountForm):
    email = _email_field(_l("L'adresse avec laquelle la personne s'est inscrite."))


class PersonForm(AccountForm):
    """Export: the person's address, carried by the page."""

    email = _person_field()


class EraseForm(AccountForm):
    email = _person_field()
    confirm = BooleanField(
        _l("La personne a demandé l'effacement de ses données, et je confirme."),
        validators=[InputRequired(_l("Cochez la case pour confirmer l'effacement."))],
    )


def _retention_choices() -> list[SelectChoice]:
    choices = [
        SelectChoice(str(months), _l("%(months)s mois après l'événement", months=months))
        for months in range(1, MAX_RETENTION_MONTHS)
    ]
    choices.append(
        SelectChoice(
            str(MAX_RETENTION_MONTHS),
            _l("%(months)s mois après l'événement (par défaut, le maximum)", months=MAX_RETENTION_MONTHS),
        )
    )
    return list(reversed(choices))


class RetentionForm(AccountForm):
    months = SelectField(
        _l("Conserver les données des participant·es"),
        description=_l(
            "Passé ce délai, les nom, adresse, téléphone et réponses sont effacés automatiquement ; "
            "les chiffres (places, catégories, présences) restent."
        ),
        # Strings, not coerce=int: a value that is not a number gets the
        # French message below, not WTForms' English one.
        choices=_retention_choices,
        validators=[InputRequired(_l("Choisissez une durée."))],
        invalid_choice_message=_l("Choisissez une durée entre 1 et 12 mois."),
    )
