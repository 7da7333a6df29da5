"""The back-office's figures: a campaign's dashboard for its coordinator
(``Permission.COORDINATION``, its own campaigns only), an organisation's
dashboard of its own events (``Permission.EVENTS``), their CSV and XLSX
exports and the printable bilan. Read-only GET pages; aggregates only, never
a registrant.
"""

from __future__ import annotations

from flask import Response, current_app, render_template, request
from flask_babel import gettext as _

from eventsapp.accounts.permissions import Permission
from eventsapp.admin.access import can, current_membership, get_coordinated_campaign, requires
from eventsapp.admin.blueprints import admin_blueprint
from eventsapp.admin.service import coordinated_campaigns
from eventsapp.catalog.vocabulary import EventKind
from eventsapp.errors import NotFound
from eventsapp.reports import helpers, service
from eventsapp.reports.campaigns import organisation_campaigns
from eventsapp.reports.exports import XLSX_MIMETYPE, table_csv, tables_xlsx
from eventsapp.reports.filters import ReportFilters, parse_report_filters
from eventsapp.reports.service import Dashboard
from eventsapp.reports.tables import dashboard_tables
from eventsapp.territories.departments import DEPARTMENTS

blueprint = admin_blueprint("admin_reports", __name__, "/reports")
blueprint.record_once(helpers.install)


def _filters() -> ReportFilters:
    return parse_report_filters(request.args, current_app.config.get("TIMEZONE", "Europe/Paris"))


def _organisation_dashboard() -> tuple[Dashboard, ReportFilters, list]:
    membership = current_membership()
    assert membership is not None  # @requires(EVENTS) made sure
    filters = _filters()
    campaigns = organisation_campaigns(membership.organisation_id)
    campaign = next((c for c in campaigns if c.id == filters.campaign_id), None)
    if filters.campaign_id is not None and campaign is None:
        filters.errors["campaign"] = _("Campagne inconnue : choisissez-la dans la liste.")
    dashboard = service.organisation_dashboard(
        membership.organisation_id, membership.organisation.name, filters.scope, campaign
    )
    return dashboard, filters, campaigns


def _campaign_dashboard(campaign_id: int) -> tuple[Dashboard, ReportFilters]:
    campaign = get_coordinated_campaign(campaign_id)
    filters = _filters()
    filters.values.pop("campaign", None)
    return service.campaign_dashboard(campaign, filters.scope), filters


def _page(template: str, dashboard: Dashboard, filters: ReportFilters, prefix: str, **links: object) -> str:
    """Render a dashboard or bilan; ``prefix`` names its family of endpoints
    ("organisation" or "campaign"), ``url_args`` rebuild its links."""
    path_args: dict = links.pop("path_args", {})  # type: ignore[assignment]
    url_args = {**path_args, **filters.query()}
    tables = dashboard_tables(dashboard.report, dashboard.editions)
    return render_template(
        template,
        dashboard=dashboard,
        report=dashboard.report,
        tables={table.key: table for table in tables},
        charts=helpers.report_charts(dashboard.report),
        filters=filters,
        kinds=EventKind.choices(),
        departments=sorted(DEPARTMENTS.items(), key=lambda item: item[0].zfill(3)),
        prefix=prefix,
        url_args=url_args,
        path_args=path_args,
        **links,
    )


def _export(dashboard: Dashboard, slug: str) -> Response:
    """``format=xlsx``: every table, one sheet each; else (CSV) the table
    named by ``table`` (the key figures by default)."""
    if request.args.get("format") == "xlsx":
        return Response(
            tables_xlsx(dashboard_tables(dashboard.report, dashboard.editions)),
            mimetype=XLSX_MIMETYPE,
            headers={"Content-Disposition": f'attachment; filename="{slug}-chiffres.xlsx"'},
        )
    tables = {table.key: table for table in dashboard_tables(dashboard.report, dashboard.editions)}
    key = request.args.get("table", "synthese")
    if key not in tables:
        raise NotFound(key)
    return Response(
        table_csv(tables[key]),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{slug}-{key}.csv"'},
    )


@blueprint.get("/")
@requires(Permission.EVENTS)
def organisation_figures():
    """The organisation's own events: dashboard with filters."""
    dashboard, filters, campaigns = _organisation_dashboard()
    membership = current_membership()
    coordinated = coordinated_campaigns(membership.organisation_id) if membership else []
    return _page(
        "reports/dashboard.html", dashboard, filters, "organisation",
        campaigns=campaigns, coordinated=coordinated if can(Permission.COORDINATION) else [],
    )  # fmt: skip


@blueprint.get("/export")
@requires(Permission.EVENTS)
def organisation_export():
    """The organisation's dashboard: one table (``table``) as CSV, or every
    table as XLSX (``format=xlsx``)."""
    return _export(_organisation_dashboard()[0], "chiffres-structure")


@blueprint.get("/bilan")
@requires(Permission.EVENTS)
def organisation_bilan():
    """The printable bilan of the organisation's events."""
    dashboard, filters, _campaigns = _organisation_dashboard()
    return _page("reports/bilan.html", dashboard, filters, "organisation")


@blueprint.get("/campaigns/<int:campaign_id>/")
@requires(Permission.COORDINATION)
def campaign_figures(campaign_id: int):
    """A coordinated campaign's dashboard: every organisation's events."""
    dashboard, filters = _campaign_dashboard(campaign_id)
    return _page(
        "reports/dashboard.html", dashboard, filters, "campaign",
        path_args={"campaign_id": campaign_id}, campaigns=[], coordinated=[],
    )  # fmt: skip


@blueprint.get("/campaigns/<int:campaign_id>/export")
@requires(Permission.COORDINATION)
def campaign_export(campaign_id: int):
    """The campaign's dashboard as CSV (one table) or XLSX (``format=xlsx``)."""
    dashboard, _filters_ = _campaign_dashboard(campaign_id)
    return _export(dashboard, dashboard.campaign.slug if dashboard.campaign else "campagne")


@blueprint.get("/campaigns/<int:campaign_id>/bilan")
@requires(Permission.COORDINATION)
def campaign_bilan(campaign_id: int):
    """The campaign's printable bilan (A4), what a CRESS sends its funders."""
    dashboard, filters = _campaign_dashboard(campaign_id)
    return _page("reports/bilan.html", dashboard, filters, "campaign", path_args={"campaign_id": campaign_id})
