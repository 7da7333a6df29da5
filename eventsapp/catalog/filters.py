"""Agenda filters: read from the query string, checked, explained in French.

A value that makes no sense is dropped with a message for the person instead
of failing the page; the remaining filters still apply.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from eventsapp.catalog.vocabulary import Audience, EventKind
from eventsapp.territories.departments import normalise_department_code

MAX_TEXT_LENGTH = 200
# The query parameters the agenda reads (and the page cache keys on).
AGENDA_PARAMETERS = ("campaign", "department", "commune", "kind", "audience", "from", "to", "q", "page")
# Dates outside this range are typing mistakes (and overflow time arithmetic).
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2100, 12, 31)


@dataclass
class AgendaFilters:
    """What the agenda is narrowed to; empty fields do not filter."""

    campaign: str | None = None
    department: str | None = None
    commune: str | None = None
    kind: EventKind | None = None
    audience: Audience | None = None
    date_from: date | None = None
    date_to: date | None = None
    text: str | None = None
    page: int = 1
    # French message per query parameter whose value was dropped or changed.
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def messages(self) -> list[str]:
        return list(self.errors.values())

    @property
    def is_default(self) -> bool:
        """True when nothing narrows the agenda (upcoming events only)."""
        return not any(
            (self.campaign, self.department, self.commune, self.kind, self.audience,
             self.date_from, self.date_to, self.text)
        )  # fmt: skip

    def query_args(self) -> dict[str, str]:
        """The filters as query parameters, for links and feeds."""
        pairs = {
            "campaign": self.campaign,
            "department": self.department,
            "commune": self.commune,
            "kind": self.kind.value if self.kind else None,
            "audience": self.audience.value if self.audience else None,
            "from": self.date_from.isoformat() if self.date_from else None,
            "to": self.date_to.isoformat() if self.date_to else None,
            "q": self.text,
        }
        return {key: value for key, value in pairs.items() if value}


def _clean_text(raw: str | None) -> str | None:
    # Control characters (a NUL byte is refused by PostgreSQL) are dropped.
    printable = "".join(char if char.isprintable() else " " for char in (raw or ""))
    value = " ".join(printable.split())
    return value[:MAX_TEXT_LENGTH] or None


def _parse_date(raw: str, label: str, errors: dict[str, str], key: str) -> date | None:
    try:
        parsed = date.fromisoformat(raw.strip())
        if EARLIEST_DATE <= parsed <= LATEST_DATE:
            return parsed
        raise ValueError(raw)
    except ValueError:
        errors[key] = _(
            "La date « %(value)s » (%(label)s) n'est pas valide : utilisez le format AAAA-MM-JJ, "
            "par exemple 2026-11-17. Ce critère a été ignoré.",
            value=raw[:40],
            label=label,
        )
        return None


def parse_agenda_filters(args: MultiDict, known_campaigns: set[str] | None = None) -> AgendaFilters:
    """Read the agenda's query parameters; bad values become French messages.

    ``known_campaigns`` lets the caller flag an unknown campaign slug (the
    campaign page passes None: its campaign comes from the URL).
    """
    filters = AgendaFilters()
    errors = filters.errors

    campaign = _clean_text(args.get("campaign"))
    if campaign and known_campaigns is not None and campaign not in known_campaigns:
        errors["campaign"] = _(
            "La campagne « %(value)s » n'existe pas. Ce critère a été ignoré.", value=campaign
        )
    else:
        filters.campaign = campaign

    raw_department = _clean_text(args.get("department"))
    if raw_department:
        filters.department = normalise_department_code(raw_department)
        if filters.department is None:
            errors["department"] = _(
                "« %(value)s » n'est pas un numéro de département connu (par exemple 53 pour "
                "la Mayenne, 2A pour la Corse-du-Sud). Ce critère a été ignoré.",
                value=raw_department,
            )

    filters.commune = _clean_text(args.get("commune"))

    raw_kind = _clean_text(args.get("kind"))
    if raw_kind:
        filters.kind = EventKind.from_value(raw_kind)
        if filters.kind is None:
            errors["kind"] = _(
                "Le type d'événement « %(value)s » n'existe pas. Ce critère a été ignoré.", value=raw_kind
            )

    raw_audience = _clean_text(args.get("audience"))
    if raw_audience:
        filters.audience = Audience.from_value(raw_audience)
        if filters.audience is None:
            errors["audience"] = _(
                "Le public « %(value)s » n'existe pas. Ce critère a été ignoré.", value=raw_audience
            )

    raw_from = _clean_text(args.get("from"))
    raw_to = _clean_text(args.get("to"))
    filters.date_from = _parse_date(raw_from, _("du"), errors, "from") if raw_from else None
    filters.date_to = _parse_date(raw_to, _("au"), errors, "to") if raw_to else None
    if filters.date_from and filters.date_to and filters.date_to < filters.date_from:
        errors["to"] = _("La date de fin est avant la date de début : les deux dates ont été inversées.")
        filters.date_from, filters.date_to = filters.date_to, filters.date_from

    filters.text = _clean_text(args.get("q"))

    raw_page = (args.get("page") or "1").strip()
    # isdigit() alone accepts "²", which int() refuses.
    if raw_page.isascii() and raw_page.isdigit() and len(raw_page) <= 5 and 1 <= int(raw_page) <= 10_000:
        filters.page = int(raw_page)
    else:
        errors["page"] = _(
            "Le numéro de page « %(value)s » n'est pas valide : voici la première page.",
            value=raw_page[:20],
        )
    return filters
