"""Every table of a dashboard as plain rows: the page, its CSV and its XLSX
are rendered from the same ``Table`` objects, so the exports always hold
the figures on the screen.

Cells are ``str``, ``int``, ``float`` (a rate, 0–1) or None ("not
applicable", e.g. a no-show rate where check-in was not used).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from babel.dates import format_date
from flask_babel import get_locale
from flask_babel import gettext as _

from eventsapp.catalog.vocabulary import EventKind
from eventsapp.registrations.models import ParticipantCategory
from eventsapp.reports.figures import Figures
from eventsapp.reports.report import Edition, Group, Report
from eventsapp.territories.departments import department_name

Cell = str | int | float | None


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "int"  # "text", "int", "rate" (0–1), "date"

    @property
    def numeric(self) -> bool:
        return self.kind in ("int", "rate")


@dataclass(frozen=True)
class Table:
    key: str  # also the CSV's ``table`` parameter and the XLSX sheet
    title: str
    columns: list[Column]
    rows: list[list[Cell]]
    total: list[Cell] | None = None


def figure_columns(with_events: bool = True, with_capacity: bool = True) -> list[Column]:
    """The columns of the definitions (README, "Figures"), in their order."""
    columns = [Column("events", _("Événements"))] if with_events else []
    columns += [
        Column("registered", _("Places inscrites")),
        Column("confirmed", _("Confirmées")),
        Column("pending", _("En attente de confirmation")),
        Column("waitlisted", _("Liste d'attente")),
        Column("cancelled", _("Annulées")),
        Column("checked_in", _("Pointées présentes")),
        Column("walk_ins", _("Venues sans inscription")),
        Column("attendance", _("Participation")),
        Column("no_show_rate", _("Taux d'absence"), "rate"),
    ]
    if with_capacity:
        columns += [Column("capacity", _("Capacité")), Column("fill_rate", _("Taux de remplissage"), "rate")]
    return columns


def figure_cells(figures: Figures, columns: list[Column]) -> list[Cell]:
    return [getattr(figures, column.key) for column in columns]


def _group_table(
    key: str, title: str, heads: list[Column], groups: list[Group], label: Callable[[object], list[Cell]],
    totals: Figures, with_events: bool = True, with_capacity: bool = True,
) -> Table:  # fmt: skip
    columns = figure_columns(with_events, with_capacity)
    rows = [label(group.key) + figure_cells(group.figures, columns) for group in groups]
    total = [_("Total")] + [""] * (len(heads) - 1) + figure_cells(totals, columns)
    return Table(key=key, title=title, columns=heads + columns, rows=rows, total=total if groups else None)


def week_label(year: int, week: int) -> str:
    monday = date.fromisocalendar(year, week, 1)
    locale = str(get_locale() or "fr")
    start = format_date(monday, "d MMM", locale=locale)
    end = format_date(monday + timedelta(days=6), "d MMM y", locale=locale)
    return _("S%(week)02d · %(start)s – %(end)s", week=week, start=start, end=end)


def department_label(code: str) -> str:
    name = department_name(code)
    return f"{code} · {name}" if name else (code or _("Non renseigné"))


def summary_table(report: Report) -> Table:
    totals, cancelled = report.totals, report.cancelled
    rows: list[list[Cell]] = [[column.label, getattr(totals, column.key)] for column in figure_columns()]
    rows.append([_("Événements annulés (à part)"), cancelled.events])
    rows.append([_("Places inscrites aux événements annulés"), cancelled.registered])
    kinds = [Column("figure", _("Chiffre"), "text"), Column("value", _("Valeur"), "figure")]
    return Table(key="synthese", title=_("Chiffres clés"), columns=kinds, rows=rows)


def department_table(report: Report) -> Table:
    return _group_table(
        "departements", _("Par département"), [Column("department", _("Département"), "text")],
        report.by_department, lambda code: [department_label(code)], report.totals,
    )  # fmt: skip


def department_kind_table(report: Report) -> Table:
    heads = [Column("department", _("Département"), "text"), Column("kind", _("Type"), "text")]
    return _group_table(
        "departements-types", _("Par département et type d'événement"), heads, report.by_department_kind,
        lambda key: [department_label(key[0]), EventKind(key[1]).label], report.totals,
    )  # fmt: skip


def commune_table(report: Report) -> Table:
    heads = [Column("commune", _("Commune"), "text"), Column("department", _("Département"), "text")]
    return _group_table(
        "communes", _("Par commune"), heads, report.by_commune,
        lambda key: [key[1] or _("Non renseignée"), department_label(key[0])], report.totals,
    )  # fmt: skip


def kind_table(report: Report) -> Table:
    return _group_table(
        "types", _("Par type d'événement"), [Column("kind", _("Type"), "text")],
        report.by_kind, lambda kind: [EventKind(kind).label], report.totals,
    )  # fmt: skip


def organisation_table(report: Report) -> Table:
    return _group_table(
        "structures", _("Par structure organisatrice"), [Column("organisation", _("Structure"), "text")],
        report.by_organisation, lambda org_id: [report.organisation_names.get(org_id, "")], report.totals,
    )  # fmt: skip


def category_table(report: Report) -> Table:
    return _group_table(
        "categories", _("Par catégorie de participant·es"), [Column("category", _("Catégorie"), "text")],
        report.by_category, lambda category: [ParticipantCategory(category).label], report.totals,
        with_events=False, with_capacity=False,
    )  # fmt: skip


def week_table(report: Report) -> Table:
    return _group_table(
        "semaines", _("Par semaine"), [Column("week", _("Semaine"), "text")],
        report.by_week, lambda key: [week_label(*key)], report.totals,
    )  # fmt: skip


def signup_table(report: Report) -> Table:
    columns = [
        Column("day", _("Jour"), "date"),
        Column("seats", _("Places inscrites ce jour")),
        Column("cumulative", _("Cumul")),
    ]
    rows: list[list[Cell]] = [
        [point.day.isoformat(), point.seats, point.cumulative] for point in report.curve
    ]
    return Table(key="jours", title=_("Inscriptions par jour"), columns=columns, rows=rows)


def event_table(report: Report) -> Table:
    heads = [
        Column("title", _("Événement"), "text"),
        Column("organisation", _("Structure"), "text"),
        Column("date", _("Date"), "date"),
        Column("commune", _("Commune"), "text"),
        Column("department", _("Département"), "text"),
        Column("kind", _("Type"), "text"),
        Column("status", _("Statut"), "text"),
    ]
    columns = figure_columns(with_events=False)
    rows = [
        [
            line.info.title,
            line.info.organisation_name,
            line.local_start.isoformat(),
            line.info.commune,
            department_label(line.info.department),
            line.info.kind.label,
            line.info.status.label,
            *figure_cells(line.figures, columns),
        ]
        for line in report.events
    ]
    return Table(key="evenements", title=_("Événements et participation"), columns=heads + columns, rows=rows)


def edition_table(editions: list[Edition]) -> Table:
    heads = [Column("edition", _("Édition"), "text"), Column("starts_on", _("Début"), "date")]
    columns = figure_columns()
    rows = [[e.name, e.starts_on.isoformat(), *figure_cells(e.figures, columns)] for e in editions]
    columns_all = heads + columns + [Column("cancelled_events", _("Événements annulés"))]
    for row, edition in zip(rows, editions, strict=True):
        row.append(edition.cancelled_events)
    return Table(key="editions", title=_("D'une édition à l'autre"), columns=columns_all, rows=rows)


def dashboard_tables(report: Report, editions: list[Edition] | None = None) -> list[Table]:
    """Every table of a dashboard, in the page's order."""
    tables = [
        summary_table(report),
        department_table(report),
        kind_table(report),
        signup_table(report),
        department_kind_table(report),
        commune_table(report),
        organisation_table(report),
        category_table(report),
        week_table(report),
        event_table(report),
    ]
    if editions and len(editions) > 1:
        tables.append(edition_table(editions))
    return tables
