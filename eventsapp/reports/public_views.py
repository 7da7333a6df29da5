"""The public figures page ``/campaigns/<slug>/chiffres`` (catalog look,
cached like the other public pages). See ``reports.public`` for what is
published and what is hidden."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template

from eventsapp.caching import cached_public_page
from eventsapp.errors import NotFound
from eventsapp.reports import campaigns, helpers
from eventsapp.reports.public import public_figures

blueprint = Blueprint("reports_public", __name__)
blueprint.record_once(helpers.install)
PUBLIC_CACHE_CONTROL = "public, max-age=300"


@blueprint.get("/campaigns/<slug:slug>/chiffres")
@cached_public_page()
def campaign_figures(slug: str) -> str:
    """A campaign's figures for everyone: aggregates, small counts hidden."""
    campaign = campaigns.campaign_by_slug(slug)
    if campaign is None:
        raise NotFound(slug)
    figures = public_figures(campaign, current_app.config.get("TIMEZONE", "Europe/Paris"))
    return render_template("reports/public.html", campaign=campaign, figures=figures)


@blueprint.after_request
def _cache_headers(response: Response) -> Response:
    # The same for every visitor: shared caches may keep it five minutes.
    if response.status_code == 200:
        response.headers["Cache-Control"] = PUBLIC_CACHE_CONTROL
    return response
