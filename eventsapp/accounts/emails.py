"""Account e-mails: invitation, "added to an organisation", password reset.

Composed and sent by the ``accounts.send_account_email`` task after the
commit that recorded them (``service._enqueue_account_email``). The one-time
link is made here, at composing time, so the outbox holds no secret and the
link's lifetime counts from the e-mail. Delivery is at least once: a task
run twice (a worker lost after sending) sends a second e-mail whose link is
as valid as the first, and both die when a password is set.
"""

from __future__ import annotations

from flask import current_app, render_template
from flask_babel import gettext as _
from flask_mail import Message

from eventsapp.accounts.models import User
from eventsapp.accounts.service import AccountEmail
from eventsapp.accounts.tokens import MAX_AGES, Purpose, make_token
from eventsapp.extensions import db
from eventsapp.links import absolute_url
from eventsapp.notifications.transport import OutgoingMessage, send_message
from eventsapp.organisations.models import Organisation


def set_password_url(user: User, purpose: Purpose) -> str:
    """The absolute one-time link to choose a password (under ``PUBLIC_URL``)."""
    return absolute_url("accounts.set_password", token=make_token(user, purpose))


def _hours(purpose: Purpose) -> int:
    return int(MAX_AGES[purpose].total_seconds() // 3600)


def compose_account_email(kind: str, user: User, organisation: Organisation | None) -> Message:
    """The French e-mail ``kind`` (``service.AccountEmail``) to ``user``."""
    context: dict = {
        "site_name": current_app.config["SITE_NAME"],
        "user": user,
        "organisation": organisation,
        "login_url": absolute_url("accounts.login"),
        "forgot_url": absolute_url("accounts.forgot_password"),
    }
    if kind == AccountEmail.INVITATION:
        subject = _("Invitation à l'espace organisateurs – %(site)s", site=context["site_name"])
        context["link"] = set_password_url(user, Purpose.INVITATION)
        context["valid_days"] = _hours(Purpose.INVITATION) // 24
    elif kind == AccountEmail.RESET:
        subject = _("Choisir un nouveau mot de passe – %(site)s", site=context["site_name"])
        context["link"] = set_password_url(user, Purpose.RESET)
        context["valid_hours"] = _hours(Purpose.RESET)
    elif kind == AccountEmail.ADDED:
        subject = _(
            "Vous avez rejoint %(organisation)s – %(site)s",
            organisation=organisation.name if organisation else "",
            site=context["site_name"],
        )
    else:
        raise ValueError(f"unknown account e-mail {kind!r}")
    context["subject"] = subject
    return OutgoingMessage(
        subject=subject,
        recipients=[user.email],
        body=render_template(f"accounts/email/{kind}.txt", **context),
        html=render_template(f"accounts/email/{kind}.html", **context),
        sender=current_app.config["MAIL_DEFAULT_SENDER"],
        extra_headers={"Auto-Submitted": "auto-generated"},
    )


def send_account_email(kind: str, user_id: int, organisation_id: int | None = None) -> bool:
    """Compose and send one account e-mail now. Returns False, sending
    nothing, when it no longer applies: the account is gone or disabled, an
    invitation whose password was chosen meanwhile (the person is told they
    were added instead), or a membership removed before the e-mail left.
    SMTP errors propagate (the task retries)."""
    user = db.session.get(User, user_id)
    if user is None or not user.is_active:
        return False
    organisation = db.session.get(Organisation, organisation_id) if organisation_id else None
    if organisation_id and not any(m.organisation_id == organisation_id for m in user.memberships):
        return False
    if kind == AccountEmail.INVITATION and user.has_password:
        kind = AccountEmail.ADDED
    send_message(compose_account_email(kind, user, organisation))
    return True
