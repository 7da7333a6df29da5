"""The dashboards' filters, read from the query string (GET forms: a
filtered dashboard is a link one can bookmark or send): ``from`` and ``to``
(ISO dates, whole days in the site's time zone, on the events' start),
``department`` (INSEE code) and ``kind`` (the agenda's slugs), and on an
organisation's dashboard ``campaign`` (an id).

A value that makes no sense is ignored, with a French message tied to its
field; the rest of the filters still apply.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from eventsapp.catalog.vocabulary import EventKind
from eventsapp.reports.scope import ReportScope
from eventsapp.territories.departments import DEPARTMENTS
from eventsapp.text import parse_id

FILTER_NAMES = ("from", "to", "department", "kind")


@dataclass
class ReportFilters:
    scope: ReportScope
    values: dict[str, str] = field(default_factory=dict)  # what the form shows again
    errors: dict[str, str] = field(default_factory=dict)
    campaign_id: int | None = None

    def query(self) -> dict[str, str]:
        """The filters that apply, for export and print links."""
        return {name: value for name, value in self.values.items() if value and name not in self.errors}


def _date(value: str) -> date | None:
    """An ISO date between 1900 and 2200 (year 1 or 9999 overflows in UTC)."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    return day if 1900 <= day.year <= 2200 else None


def parse_report_filters(args: MultiDict, zone: str) -> ReportFilters:
    values = {name: (args.get(name) or "").strip() for name in (*FILTER_NAMES, "campaign")}
    errors: dict[str, str] = {}
    starts_from = _date(values["from"]) if values["from"] else None
    if values["from"] and starts_from is None:
        errors["from"] = _("Date de début invalide : utilisez le format AAAA-MM-JJ.")
    starts_to = _date(values["to"]) if values["to"] else None
    if values["to"] and starts_to is None:
        errors["to"] = _("Date de fin invalide : utilisez le format AAAA-MM-JJ.")
    if starts_from and starts_to and starts_to < starts_from:
        errors["to"] = _("La date de fin doit suivre la date de début.")
        starts_to = None
    department = values["department"].upper() if values["department"] else None
    if department and department not in DEPARTMENTS:
        errors["department"] = _("Département inconnu : choisissez-le dans la liste.")
        department = None
    if department:
        values["department"] = department
    kind = EventKind.from_value(values["kind"])
    if values["kind"] and kind is None:
        errors["kind"] = _("Type d'événement inconnu : choisissez-le dans la liste.")
    campaign_id = parse_id(values["campaign"])
    if values["campaign"] and campaign_id is None:
        errors["campaign"] = _("Campagne inconnue.")
    scope = ReportScope(
        zone=zone,
        starts_from=starts_from,
        starts_to=starts_to,
        department=department,
        kind=kind,  # type: ignore[arg-type]
    )
    return ReportFilters(scope=scope, values=values, errors=errors, campaign_id=campaign_id)
