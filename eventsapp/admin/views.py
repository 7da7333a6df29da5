"""The back-office's pages about events: home, dashboard, check-in list,
coordination. Read-only for now; later issues fill the links.

Every view declares its permission with ``@requires`` (``admin.access``)
and loads what its URL names through ``get_own_event`` /
``get_coordinated_campaign``.
"""

from __future__ import annotations

from flask import redirect, render_template, url_for

from eventsapp.accounts.permissions import Permission
from eventsapp.admin import checkin, service
from eventsapp.admin.access import (
    can,
    current_membership,
    current_organisation_id,
    get_coordinated_campaign,
    get_own_event,
    requires,
)
from eventsapp.admin.blueprints import admin_blueprint

blueprint = admin_blueprint("admin", __name__)


@blueprint.get("/")
@requires(Permission.ACCOUNT)
def home():
    """Where a login lands: the events for owners and editors, the check-in
    list for check-in staff, a word of explanation for a person who belongs
    to no organisation any more."""
    if current_membership() is None:
        return render_template("admin/no_organisation.html"), 403
    if can(Permission.EVENTS):
        return redirect(url_for("admin.dashboard"))
    return redirect(url_for("admin.checkin_list"))


@blueprint.get("/events/")
@requires(Permission.EVENTS)
def dashboard():
    """The current organisation's events: title, date, status, seats."""
    return render_template("admin/dashboard.html", dashboard=service.dashboard(current_organisation_id()))


@blueprint.get("/events/<int:event_id>/")
@requires(Permission.EVENTS)
def event_overview(event_id: int):
    """One event of the organisation (editing comes with a later issue)."""
    event = get_own_event(event_id)
    counts = service.dashboard_row(event)
    return render_template("admin/event.html", event=event, row=counts)


@blueprint.get("/checkin/")
@requires(Permission.CHECKIN)
def checkin_list():
    """Events open for check-in (today's and the coming ones): ``admin.checkin``."""
    return checkin.checkin_list_page()


@blueprint.get("/events/<int:event_id>/checkin")
@requires(Permission.CHECKIN)
def event_checkin(event_id: int):
    """The check-in page of one event: ``admin.checkin``."""
    return checkin.checkin_page(get_own_event(event_id))


@blueprint.get("/campaigns/")
@requires(Permission.COORDINATION)
def campaigns():
    """Campaigns the current organisation coordinates."""
    return render_template(
        "admin/campaigns.html", campaigns=service.coordinated_campaigns(current_organisation_id())
    )


@blueprint.get("/campaigns/<int:campaign_id>/")
@requires(Permission.COORDINATION)
def campaign_overview(campaign_id: int):
    """A coordinated campaign: its submitted and public events, figures."""
    overview = service.campaign_overview(get_coordinated_campaign(campaign_id))
    return render_template("admin/campaign.html", overview=overview)
