"""Which registrants of an event: the filter shared by the registrants'
list, its exports and the messages (one meaning of "non pointé·es"), the
query that applies it, and loading the registrations it selects.

Status, session, category and check-in are SQL conditions; the free text
(name, e-mail, structure) is matched on folded text, as in the agenda.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from eventsapp.catalog.models import Event
from eventsapp.checkin.models import CheckIn
from eventsapp.extensions import db
from eventsapp.registrations.models import (
    ACTIVE_STATUSES,
    ParticipantCategory,
    Registration,
    RegistrationAnswer,
    RegistrationStatus,
    registration_sessions,
)
from eventsapp.text import fold, is_plain_digits

MAX_SEARCH_LENGTH = 200
# Status filter values beyond the statuses themselves.
ACTIVE = "active"
CHECKED_YES, CHECKED_NO = "yes", "no"


def status_choices() -> list[tuple[str, str]]:
    """(value, French label) of the status filter, "all" first."""
    return [
        ("", _("Tous les statuts")),
        (ACTIVE, _("Inscriptions en cours (confirmées, en attente, liste d'attente)")),
        *RegistrationStatus.choices(),
    ]


def checked_choices() -> list[tuple[str, str]]:
    return [("", _("Pointé·es ou non")), (CHECKED_YES, _("Pointé·es")), (CHECKED_NO, _("Non pointé·es"))]


@dataclass
class RegistrantFilters:
    """Which registrants of an event: every part is optional (all)."""

    text: str = ""
    status: str = ""
    session_id: int | None = None
    category: ParticipantCategory | None = None
    checked: str = ""
    page: int = 1
    # French messages about values that were ignored, by parameter.
    errors: dict[str, str] = field(default_factory=dict)

    def query_args(self, *, with_page: bool = False) -> dict[str, str]:
        """The filter as query parameters (links, exports, stored with a message)."""
        args = {
            "q": self.text,
            "status": self.status,
            "session": str(self.session_id) if self.session_id else "",
            "category": self.category.value if self.category else "",
            "checked": self.checked,
        }
        if with_page and self.page > 1:
            args["page"] = str(self.page)
        return {key: value for key, value in args.items() if value}

    def describe(self, event: Event) -> str:
        """In French, for people: "Liste d'attente · non pointé·es"."""
        parts = []
        if self.status:
            parts.append(dict(status_choices()).get(self.status, self.status))
        if self.session_id:
            titles = {session.id: session.title for session in event.sessions}
            parts.append(_("atelier « %(title)s »", title=titles.get(self.session_id, "?")))
        if self.category:
            parts.append(self.category.label)
        if self.checked:
            parts.append(dict(checked_choices())[self.checked].lower())
        if self.text:
            parts.append(_("recherche « %(text)s »", text=self.text))
        return " · ".join(parts) if parts else _("Toutes les personnes inscrites")


def parse_filters(args: Mapping[str, str], event: Event, *, default_status: str = "") -> RegistrantFilters:
    """The filter from query (or form) arguments; a value that makes no
    sense is ignored, with a French message."""
    filters = RegistrantFilters(status=default_status)
    errors = filters.errors
    text = " ".join((args.get("q") or "").split())
    if len(text) > MAX_SEARCH_LENGTH:
        errors["q"] = _("Recherche trop longue : %(max)d caractères au plus.", max=MAX_SEARCH_LENGTH)
        text = text[:MAX_SEARCH_LENGTH]
    filters.text = text
    status = args.get("status")
    if status is not None:
        if status in dict(status_choices()):
            filters.status = status
        else:
            errors["status"] = _("Statut inconnu : filtre ignoré.")
    session = (args.get("session") or "").strip()
    if session:
        known = {str(item.id): item.id for item in event.sessions}
        if session in known:
            filters.session_id = known[session]
        else:
            errors["session"] = _("Cet atelier n'appartient pas à l'événement : filtre ignoré.")
    category = (args.get("category") or "").strip()
    if category:
        filters.category = ParticipantCategory.from_value(category)
        if filters.category is None:
            errors["category"] = _("Catégorie inconnue : filtre ignorée.")
    checked = (args.get("checked") or "").strip()
    if checked:
        if checked in (CHECKED_YES, CHECKED_NO):
            filters.checked = checked
        else:
            errors["checked"] = _("Choix de pointage inconnu : filtre ignoré.")
    page = (args.get("page") or "1").strip()
    filters.page = int(page) if is_plain_digits(page) and 0 < len(page) < 7 and int(page) > 0 else 1
    return filters


def _checked_in(registration_id: sa.ColumnElement) -> sa.ColumnElement[bool]:
    # Any check-in counts: at the door of the event or of one of its sessions.
    return sa.exists().where(CheckIn.registration_id == registration_id)


def _conditions(event_id: int, filters: RegistrantFilters) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = [Registration.event_id == event_id]
    if filters.status == ACTIVE:
        conditions.append(Registration.status.in_(ACTIVE_STATUSES))
    elif filters.status:
        conditions.append(Registration.status == RegistrationStatus(filters.status))
    if filters.session_id:
        conditions.append(
            Registration.id.in_(
                sa.select(registration_sessions.c.registration_id).where(
                    registration_sessions.c.session_id == filters.session_id
                )
            )
        )
    if filters.category:
        conditions.append(Registration.category == filters.category)
    if filters.checked == CHECKED_YES:
        conditions.append(_checked_in(Registration.id))
    elif filters.checked == CHECKED_NO:
        conditions.append(~_checked_in(Registration.id))
    return conditions


def sort_key(first_name: str, last_name: str, registration_id: int) -> tuple[str, str, int]:
    """Alphabetical by last name, then first name, accents and case aside
    ("Élise" between "Dupont" and "Fabre")."""
    return fold(last_name), fold(first_name), registration_id


def matching_ids(event_id: int, filters: RegistrantFilters) -> list[int]:
    """Ids of the event's registrations the filter selects, by last name.

    The free-text part is matched in Python on folded text (accents and case
    do not matter, as in the agenda): it reads five short columns of one
    event's registrations (hundreds, a few thousand for a salon), which is
    cheaper than keeping a folded copy on every registration."""
    rows = db.session.execute(
        sa.select(
            Registration.id,
            Registration.first_name,
            Registration.last_name,
            Registration.email,
            Registration.structure,
        ).where(*_conditions(event_id, filters))
    ).all()
    words = fold(filters.text).split()
    if words:
        rows = [
            row
            for row in rows
            if all(
                word in fold(f"{row.first_name} {row.last_name} {row.email} {row.structure}")
                for word in words
            )
        ]
    rows.sort(key=lambda row: sort_key(row.first_name, row.last_name, row.id))
    return [row.id for row in rows]


def load_registrations(ids: list[int]) -> list[Registration]:
    """The registrations ``ids``, in that order, with sessions and answers."""
    if not ids:
        return []
    loaded = db.session.scalars(
        sa.select(Registration)
        .where(Registration.id.in_(ids))
        .options(
            selectinload(Registration.sessions),
            selectinload(Registration.answers).selectinload(RegistrationAnswer.question),
        )
    ).all()
    by_id = {registration.id: registration for registration in loaded}
    return [by_id[registration_id] for registration_id in ids if registration_id in by_id]


def checked_in_ids(ids: Iterable[int]) -> set[int]:
    """Which of these registrations have a check-in."""
    ids = list(ids)
    if not ids:
        return set()
    return set(
        db.session.scalars(
            sa.select(CheckIn.registration_id).where(CheckIn.registration_id.in_(ids)).distinct()
        )
    )
