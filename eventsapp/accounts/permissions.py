"""What each role of an organisation may do: the one table of permissions.

Every back-office route declares one ``Permission`` (``admin.access.requires``)
and this module alone says which roles hold it. Owners hold everything;
editors everything but the members; check-in staff only the check-in pages.
Two permissions need no role: ``ACCOUNT`` (one's own account, the list of
one's organisations) needs a login only.

A campaign **coordinator** is an organisation, not a role: the organisation a
``Campaign`` names as its ``coordinator``. Its owners and editors hold
``COORDINATION`` for that campaign (``is_coordinator_of``); that lets them
see the events submitted to the campaign and campaign-wide figures, never
the registrants of other organisations.
"""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l

from eventsapp.accounts.models import Membership, Role
from eventsapp.catalog.models import Campaign


class Permission(enum.StrEnum):
    #: Logged in; no organisation needed (own account, organisation switcher).
    ACCOUNT = "account"
    #: Any role in the current organisation (the back-office's home page).
    MEMBER = "member"
    #: The organisation's events: list, create, edit, publish.
    EVENTS = "events"
    #: The registrants of the organisation's events (personal data).
    REGISTRANTS = "registrants"
    #: Messages to registrants.
    MESSAGES = "messages"
    #: Check-in on the day.
    CHECKIN = "checkin"
    #: Members of the organisation: invite, change roles, remove.
    MEMBERS = "members"
    #: Personal-data duties (RGPD): erase or export a person's data, retention.
    PRIVACY = "privacy"
    #: Campaigns the organisation coordinates (see ``is_coordinator_of``).
    COORDINATION = "coordination"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OWNER: frozenset(Permission) - {Permission.ACCOUNT},
    Role.EDITOR: frozenset(
        {
            Permission.MEMBER,
            Permission.EVENTS,
            Permission.REGISTRANTS,
            Permission.MESSAGES,
            Permission.CHECKIN,
            Permission.COORDINATION,
        }
    ),
    Role.CHECKIN: frozenset({Permission.MEMBER, Permission.CHECKIN}),
}

ROLE_DESCRIPTIONS = {
    Role.OWNER: _l("Tout, y compris inviter et retirer des membres et changer leur rôle."),
    Role.EDITOR: _l("Événements, inscrit·es, messages et pointage ; pas les membres."),
    Role.CHECKIN: _l("Uniquement le pointage des participant·es le jour J."),
}


def role_allows(role: Role | None, permission: Permission) -> bool:
    """True when ``role`` holds ``permission`` (``ACCOUNT`` needs no role)."""
    if permission == Permission.ACCOUNT:
        return True
    return role is not None and permission in ROLE_PERMISSIONS[Role(role)]


def is_coordinator_of(campaign: Campaign, membership: Membership | None) -> bool:
    """True when ``membership`` is an owner's or editor's membership of the
    organisation coordinating ``campaign``."""
    return (
        membership is not None
        and campaign.coordinator_id == membership.organisation_id
        and role_allows(membership.role, Permission.COORDINATION)
    )
