"""Template helpers of the reports, installed on the app by the reports'
blueprints (``record_once``): cell formatting, the charts of a report, and
``event_figures(event)`` for the panel the event's back-office page
includes (``templates/reports/_event_figures.html``)."""

from __future__ import annotations

from typing import Any

from flask.blueprints import BlueprintSetupState
from flask_babel import gettext as _

from eventsapp.catalog.vocabulary import EventKind
from eventsapp.reports import charts
from eventsapp.reports.report import Report
from eventsapp.reports.service import event_figures
from eventsapp.reports.tables import department_label

SUPPRESSED = "< 5"


def format_cell(value: Any, kind: str = "int") -> str:
    """A figure as French text: "1 234", "12,5 %", "—" when not applicable."""
    if value is None:
        return "—"
    if isinstance(value, float) or kind == "rate":
        return f"{float(value) * 100:.1f}".replace(".", ",") + "\u00a0%"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}".replace(",", "\u202f")
    return str(value)


def report_charts(report: Report) -> dict[str, Any]:
    """The three charts of a dashboard (and of the bilan)."""
    departments = [charts.Bar(department_label(g.key), g.figures.attendance) for g in report.by_department]
    kinds = [charts.Bar(EventKind(g.key).label, g.figures.attendance) for g in report.by_kind]
    curve = [(p.day, p.seats, p.cumulative) for p in report.curve]
    return {
        "departments": charts.bar_chart(
            "graphique-departements",
            _("Participation par département"),
            _("Barres : personnes venues (pointées et sans inscription) par département, du plus au moins."),
            departments,
        ),
        "kinds": charts.bar_chart(
            "graphique-types",
            _("Participation par type d'événement"),
            _("Barres : personnes venues par type d'événement, du plus au moins."),
            kinds,
        ),
        "curve": charts.signup_curve_chart(
            "graphique-inscriptions",
            _("Inscriptions au fil des jours"),
            _("Courbe : places inscrites cumulées ; barres claires : places inscrites chaque jour."),
            curve,
        ),
    }


def install(state: BlueprintSetupState) -> None:
    state.app.add_template_filter(format_cell, "report_cell")
    state.app.add_template_global(event_figures, "event_figures")
    state.app.add_template_global(SUPPRESSED, "SUPPRESSED")
