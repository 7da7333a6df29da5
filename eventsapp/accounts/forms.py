"""Forms of the organisers' accounts and members (Flask-WTF).

Only shape is checked here, in French; the rules (password policy, last
owner, already a member) live in ``accounts.service``, whose
``AccountError.field`` names the field its message goes beside
(``add_error``).
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    Field,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length

from eventsapp.accounts.models import Role
from eventsapp.accounts.permissions import ROLE_DESCRIPTIONS
from eventsapp.accounts.service import MAX_EMAIL_LENGTH, MAX_NAME_LENGTH, MAX_PASSWORD_LENGTH
from eventsapp.registrations.forms import NoControlCharacters, SendableAddress


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _length(maximum: int) -> Length:
    return Length(max=maximum, message=_l("%(max)d caractères au plus.", max=maximum))


def _email_field(description: str | None = None) -> EmailField:
    return EmailField(
        _l("Adresse e-mail"),
        description=description,
        validators=[
            DataRequired(_l("Indiquez une adresse e-mail.")),
            _length(MAX_EMAIL_LENGTH),
            NoControlCharacters(),
            Email(_l("Indiquez une adresse e-mail valide, par exemple nom@exemple.fr.")),
        ],
        filters=[_strip],
        render_kw={"autocomplete": "email", "maxlength": MAX_EMAIL_LENGTH, "spellcheck": "false"},
    )


class AccountForm(FlaskForm):
    """A form that can take a service's message beside one of its fields."""

    def add_error(self, field_name: str | None, message: str) -> bool:
        """Attach ``message`` to ``field_name``; False when there is no such field."""
        if not field_name or field_name not in self._fields:
            return False
        field = self[field_name]
        field.errors = [*field.errors, message]
        return True


class LoginForm(AccountForm):
    email = _email_field()
    password = PasswordField(
        _l("Mot de passe"),
        validators=[DataRequired(_l("Indiquez votre mot de passe.")), _length(MAX_PASSWORD_LENGTH)],
        render_kw={"autocomplete": "current-password", "maxlength": MAX_PASSWORD_LENGTH},
    )
    remember = BooleanField(_l("Rester connecté·e sur cet appareil pendant 14 jours"))


class ForgotPasswordForm(AccountForm):
    email = _email_field(_l("L'adresse avec laquelle vous avez été invité·e."))


_NEW_PASSWORD_HINT = _l(
    "Au moins 12 caractères. Une phrase de plusieurs mots est facile à retenir et difficile à deviner."
)


class SetPasswordForm(AccountForm):
    password = PasswordField(
        _l("Nouveau mot de passe"),
        description=_NEW_PASSWORD_HINT,
        validators=[DataRequired(_l("Choisissez un mot de passe.")), _length(MAX_PASSWORD_LENGTH)],
        render_kw={"autocomplete": "new-password", "maxlength": MAX_PASSWORD_LENGTH},
    )
    password_confirm = PasswordField(
        _l("Le même mot de passe, une seconde fois"),
        validators=[
            DataRequired(_l("Tapez le mot de passe une seconde fois.")),
            EqualTo("password", _l("Les deux mots de passe ne sont pas identiques.")),
        ],
        render_kw={"autocomplete": "new-password", "maxlength": MAX_PASSWORD_LENGTH},
    )


class ChangePasswordForm(SetPasswordForm):
    current_password = PasswordField(
        _l("Mot de passe actuel"),
        validators=[DataRequired(_l("Indiquez votre mot de passe actuel.")), _length(MAX_PASSWORD_LENGTH)],
        render_kw={"autocomplete": "current-password", "maxlength": MAX_PASSWORD_LENGTH},
    )


def _role_choices() -> list[tuple[str, str]]:
    return [(role.value, f"{role.label} : {ROLE_DESCRIPTIONS[role]}") for role in Role]


class InviteForm(AccountForm):
    email = _email_field(_l("L'invitation, avec un lien pour choisir un mot de passe, y sera envoyée."))

    def validate_email(self, field: Field) -> None:
        # Only where we send to the address: logging in or finding someone
        # must still work with one stored before.
        SendableAddress()(self, field)

    full_name = StringField(
        _l("Prénom et nom"),
        validators=[
            DataRequired(_l("Indiquez le prénom et le nom.")),
            _length(MAX_NAME_LENGTH),
            NoControlCharacters(),
        ],
        filters=[_strip],
        render_kw={"autocomplete": "off", "maxlength": MAX_NAME_LENGTH},
    )
    role = RadioField(
        _l("Rôle"),
        choices=_role_choices,
        default=Role.EDITOR.value,
        validators=[InputRequired(_l("Choisissez un rôle."))],
        invalid_choice_message=_l("Choisissez parmi les rôles proposés."),
    )


class RoleForm(AccountForm):
    """One member's role (the page shows one per member, each with a prefix)."""

    role = SelectField(
        _l("Rôle"),
        choices=lambda: Role.choices(),
        validators=[InputRequired(_l("Choisissez un rôle."))],
        invalid_choice_message=_l("Choisissez parmi les rôles proposés."),
    )


class SwitchOrganisationForm(AccountForm):
    organisation_id = HiddenField(validators=[InputRequired()])


class ConfirmForm(AccountForm):
    """A button and its CSRF token (log out, remove a member, resend an invitation)."""
