"""Accounts and memberships: the rules. Every write goes through here.

Functions take ids and an explicit actor, flush and never commit; refusals
are ``AccountError`` (a French message, and the form field it is about) or
``PermissionDenied``. E-mails (invitations, resets) are outbox tasks
(``accounts.tasks``), so nothing leaves before the commit, and the one-time
link is made only when the e-mail is composed (``accounts.tokens``).

Membership changes that could leave an organisation without an owner take a
lock on the organisation before counting its owners (``_lock_organisation``),
so two owners demoting each other at the same moment cannot both succeed.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from eventsapp.accounts.models import Membership, Role, User
from eventsapp.accounts.passwords import (
    hash_password,
    needs_rehash,
    spend_verification_time,
    verify_password,
)
from eventsapp.accounts.tokens import Purpose, read_token
from eventsapp.db import now_utc
from eventsapp.errors import DomainError, NotFound
from eventsapp.extensions import db
from eventsapp.locking import prepare_write
from eventsapp.organisations.models import Organisation
from eventsapp.text import is_plain_digits, parse_id

ACCOUNT_EMAIL_TASK = "accounts.send_account_email"
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
MAX_EMAIL_LENGTH = 254
MAX_NAME_LENGTH = 200


class AccountError(DomainError):
    """A refusal about accounts; ``field`` names the form field it concerns."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class PermissionDenied(DomainError):
    """The actor may not do this in this organisation."""


class AccountEmail:
    """Kinds of account e-mail (the value names the templates)."""

    INVITATION = "invitation"  # a new account: choose a password
    ADDED = "added"  # an existing account joined one more organisation
    RESET = "reset"  # forgot password


def normalise_email(email: str | None) -> str:
    """Addresses are compared and stored lower-cased, without spaces around."""
    return (email or "").strip().lower()


def find_user_by_email(email: str) -> User | None:
    address = normalise_email(email)
    if not address:
        return None
    return db.session.scalar(sa.select(User).where(User.email == address))


# Sessions and logging in ----------------------------------------------------


def user_for_session(session_id: str) -> User | None:
    """The active user whose Flask-Login id ("<id>:<version>") is
    ``session_id``; None once the version was bumped (password changed) or
    the account disabled, which logs that session out."""
    user_id, _sep, version = (session_id or "").partition(":")
    if parse_id(user_id) is None or not is_plain_digits(version):
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.is_active or user.session_version != int(version):
        return None
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active account with this address and password, else None. The
    same work is done whether the address exists or not. A hash made with
    weaker parameters than today's is replaced. Flushes the login time."""
    user = find_user_by_email(email)
    if user is None or not user.is_active or not user.password_hash:
        spend_verification_time(password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    if needs_rehash(user.password_hash):
        # Same password, same sessions: the version is not bumped.
        user.password_hash = hash_password(password)
    user.last_login_at = now_utc()
    db.session.flush()
    return user


# Passwords -----------------------------------------------------------------


def check_new_password(password: str, user: User) -> None:
    """The password policy: long rather than complicated (ANSSI and CNIL
    accept length as the main strength), and not the address itself."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            _("Choisissez un mot de passe d'au moins %(min)d caractères.", min=MIN_PASSWORD_LENGTH),
            "password",
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(
            _("Le mot de passe ne peut pas dépasser %(max)d caractères.", max=MAX_PASSWORD_LENGTH),
            "password",
        )
    if password.strip().lower() in {user.email, user.email.split("@")[0]}:
        raise AccountError(_("Le mot de passe ne doit pas reprendre votre adresse e-mail."), "password")
    if len(set(password)) < 4:
        raise AccountError(
            _("Ce mot de passe est trop facile à deviner : variez les caractères."), "password"
        )


def _store_password(user: User, password: str) -> None:
    check_new_password(password, user)
    user.password_hash = hash_password(password)
    # Every other session and remember cookie of this account ends now.
    user.session_version += 1
    db.session.flush()


def set_password_with_token(token: str, password: str) -> User:
    """Set the password of the account named by a one-time link (invitation
    or reset). Raises ``tokens.InvalidToken``/``ExpiredToken`` for a link
    that is not (or no longer) valid, ``AccountError`` for a refused
    password. Flushes; the link is spent by the commit."""
    prepare_write()
    user, _purpose = read_token(token)
    _store_password(user, password)
    user.last_login_at = now_utc()
    db.session.flush()
    return user


def check_token(token: str) -> tuple[User, Purpose]:
    """The account and purpose of a valid link (raises like ``read_token``)."""
    return read_token(token)


def change_password(user_id: int, current_password: str, new_password: str) -> User:
    """Change one's own password, knowing the current one. Every other
    session of the account ends (the caller logs this one in again)."""
    prepare_write()
    user = db.session.get(User, user_id)
    if user is None or not user.is_active:
        raise NotFound(str(user_id))
    if not verify_password(user.password_hash, current_password):
        raise AccountError(_("Ce n'est pas votre mot de passe actuel."), "current_password")
    _store_password(user, new_password)
    return user


def request_password_reset(email: str) -> None:
    """Record a reset e-mail for the active account at ``email``, if there
    is one. The caller says the same thing either way. A second request
    while the first e-mail is still waiting to leave adds nothing."""
    user = find_user_by_email(email)
    if user is None or not user.is_active:
        return
    _enqueue_account_email(AccountEmail.RESET, user.id)


def _enqueue_account_email(kind: str, user_id: int, organisation_id: int | None = None) -> None:
    from eventsapp.notifications.service import enqueue_task  # imports the registrations package

    enqueue_task(
        ACCOUNT_EMAIL_TASK,
        key=f"{kind}:{user_id}:{organisation_id or 0}",
        kind=kind,
        user_id=user_id,
        organisation_id=organisation_id,
    )


# Organisations of a person --------------------------------------------------


def memberships_of(user_id: int) -> list[Membership]:
    """The memberships of ``user_id``, by organisation name."""
    query = (
        sa.select(Membership)
        .join(Organisation, Organisation.id == Membership.organisation_id)
        .where(Membership.user_id == user_id)
        .options(joinedload(Membership.organisation))
        .order_by(Organisation.name, Organisation.id)
    )
    return list(db.session.scalars(query))


def membership_in(user_id: int, organisation_id: int) -> Membership | None:
    return db.session.scalar(
        sa.select(Membership)
        .where(Membership.user_id == user_id, Membership.organisation_id == organisation_id)
        .options(joinedload(Membership.organisation))
    )


def resolve_membership(user_id: int, organisation_id: int | None) -> Membership | None:
    """The membership the back-office works in: the one of the organisation
    chosen earlier if the person still belongs to it, else their first one
    (None when they belong to none)."""
    if organisation_id is not None:
        membership = membership_in(user_id, organisation_id)
        if membership is not None:
            return membership
    memberships = memberships_of(user_id)
    return memberships[0] if memberships else None


def switch_organisation(user_id: int, organisation_id: int) -> Membership:
    """The membership to switch to; ``NotFound`` when the person does not
    belong to that organisation (the same answer as for no organisation)."""
    membership = membership_in(user_id, organisation_id)
    if membership is None:
        raise NotFound(str(organisation_id))
    return membership


# Members of an organisation -------------------------------------------------


def organisation_members(organisation_id: int) -> list[Membership]:
    """The organisation's members, owners first, then by name."""
    order = sa.case({Role.OWNER.value: 0, Role.EDITOR.value: 1}, value=Membership.role, else_=2)
    query = (
        sa.select(Membership)
        .join(User, User.id == Membership.user_id)
        .where(Membership.organisation_id == organisation_id)
        .options(joinedload(Membership.user))
        .order_by(order, User.full_name, User.id)
    )
    return list(db.session.scalars(query))


def get_member(organisation_id: int, membership_id: int) -> Membership:
    """A membership of this organisation; ``NotFound`` for any other id."""
    membership = db.session.get(Membership, membership_id)
    if membership is None or membership.organisation_id != organisation_id:
        raise NotFound(str(membership_id))
    return membership


def _lock_organisation(organisation_id: int) -> None:
    """Serialise the membership changes of one organisation (owner counts)."""
    if db.engine.dialect.name == "sqlite":
        prepare_write()  # SQLite's write lock covers the whole database
        return
    db.session.execute(
        sa.select(Organisation.id).where(Organisation.id == organisation_id).with_for_update()
    ).all()


def _require_owner(organisation_id: int, actor_id: int) -> None:
    actor = membership_in(actor_id, organisation_id)
    if actor is None or actor.role != Role.OWNER:
        raise PermissionDenied(_("Seul·e un·e responsable de la structure peut gérer ses membres."))


def _owner_count(organisation_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(Membership.id)).where(
            Membership.organisation_id == organisation_id, Membership.role == Role.OWNER
        )
    )


def invite_member(organisation_id: int, actor_id: int, email: str, full_name: str, role: Role) -> Membership:
    """Add the person at ``email`` to the organisation with ``role``. A new
    account gets an invitation e-mail with a one-time link to choose a
    password; an existing account is told it was added."""
    role = Role(role)
    address = normalise_email(email)
    _lock_organisation(organisation_id)
    _require_owner(organisation_id, actor_id)
    user = find_user_by_email(address)
    if user is None:
        user = User(email=address, full_name=(full_name or "").strip() or address.split("@")[0])
        db.session.add(user)
        db.session.flush()
    elif membership_in(user.id, organisation_id) is not None:
        raise AccountError(_("%(email)s est déjà membre de cette structure.", email=address), "email")
    membership = Membership(user=user, organisation_id=organisation_id, role=role)
    db.session.add(membership)
    db.session.flush()
    kind = AccountEmail.ADDED if user.has_password else AccountEmail.INVITATION
    _enqueue_account_email(kind, user.id, organisation_id)
    return membership


def resend_invitation(organisation_id: int, actor_id: int, membership_id: int) -> Membership:
    """Send the invitation again to a member who has not chosen a password yet."""
    _require_owner(organisation_id, actor_id)
    membership = get_member(organisation_id, membership_id)
    if membership.user.has_password:
        raise AccountError(_("Cette personne a déjà activé son compte."))
    _enqueue_account_email(AccountEmail.INVITATION, membership.user_id, organisation_id)
    return membership


def change_role(organisation_id: int, actor_id: int, membership_id: int, role: Role) -> Membership:
    """Give a member another role; the last owner cannot stop being one."""
    role = Role(role)
    _lock_organisation(organisation_id)
    _require_owner(organisation_id, actor_id)
    membership = get_member(organisation_id, membership_id)
    if membership.role == Role.OWNER and role != Role.OWNER and _owner_count(organisation_id) <= 1:
        raise AccountError(
            _(
                "La structure doit garder au moins un·e responsable : "
                "nommez-en un·e autre avant de changer ce rôle."
            ),
            "role",
        )
    membership.role = role
    db.session.flush()
    return membership


def remove_member(organisation_id: int, actor_id: int, membership_id: int) -> User:
    """Take a member out of the organisation (their account stays, for their
    other organisations and for the history of what they did); never the
    last owner. Returns the account."""
    _lock_organisation(organisation_id)
    _require_owner(organisation_id, actor_id)
    membership = get_member(organisation_id, membership_id)
    if membership.role == Role.OWNER and _owner_count(organisation_id) <= 1:
        raise AccountError(
            _(
                "La structure doit garder au moins un·e responsable : "
                "nommez-en un·e autre avant de retirer cette personne."
            )
        )
    user = membership.user
    db.session.delete(membership)
    db.session.flush()
    return user


# Command line ---------------------------------------------------------------


def create_organiser(
    email: str, organisation_slug: str, role: Role, full_name: str | None = None
) -> Membership:
    """For ``flask create-organiser``: the account at ``email`` (created if
    needed) made a member of the organisation with ``role`` (the role of an
    existing membership is replaced). Raises ``AccountError`` for an unknown
    organisation or a malformed address."""
    from email_validator import EmailNotValidError, validate_email

    address = normalise_email(email)
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError as error:
        raise AccountError(_("Adresse e-mail invalide : %(email)s", email=address), "email") from error
    organisation = db.session.scalar(sa.select(Organisation).where(Organisation.slug == organisation_slug))
    if organisation is None:
        raise AccountError(
            _("Aucune structure n'a l'identifiant « %(slug)s ».", slug=organisation_slug), "organisation"
        )
    user = find_user_by_email(address)
    if user is None:
        user = User(email=address, full_name=(full_name or "").strip() or address.split("@")[0])
        db.session.add(user)
        db.session.flush()
    elif full_name:
        user.full_name = full_name.strip()
    membership = membership_in(user.id, organisation.id)
    if membership is None:
        membership = Membership(user=user, organisation=organisation, role=Role(role))
        db.session.add(membership)
    else:
        membership.role = Role(role)
    db.session.flush()
    return membership
