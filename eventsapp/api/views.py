"""``/api/v1``: JSON answers with cache headers, French errors as JSON."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, url_for
from flask.typing import ResponseReturnValue

from eventsapp.caching import cached_public_page
from eventsapp.reports import campaigns
from eventsapp.reports.public import THRESHOLD, public_figures

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")
CACHE_CONTROL = "public, max-age=300"


@blueprint.after_request
def _headers(response: Response) -> Response:
    # Public, identical for everyone: shared caches may keep it five minutes.
    response.headers["Cache-Control"] = CACHE_CONTROL if response.status_code == 200 else "no-store"
    response.headers["Access-Control-Allow-Origin"] = "*"  # public data, for any site's widget
    return response


@blueprint.get("/campaigns/<slug:slug>/stats")
@cached_public_page()
def campaign_stats(slug: str) -> ResponseReturnValue:
    """A campaign's public figures (shape: ``openapi.json``, README)."""
    campaign = campaigns.campaign_by_slug(slug)
    if campaign is None:
        return {"error": "not_found", "message": "Campagne inconnue."}, 404
    return public_figures(campaign, current_app.config.get("TIMEZONE", "Europe/Paris"))


def _counts(with_events: bool = True) -> dict[str, Any]:
    people = {"type": ["integer", "null"], "description": f"personnes ; null quand de 1 à {THRESHOLD - 1}"}
    properties: dict[str, Any] = {"confirmed": people, "attendance": people}
    if with_events:
        properties["events"] = {"type": "integer"}
    return properties


@blueprint.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    """The OpenAPI 3.1 document of this API."""
    row = {"type": "object", "properties": _counts()}
    document = {
        "openapi": "3.1.0",
        "info": {"title": "eventsapp API", "version": "1"},
        "servers": [{"url": url_for("api.openapi", _external=True).rsplit("/openapi.json", 1)[0]}],
        "paths": {
            "/campaigns/{slug}/stats": {
                "get": {
                    "summary": "Chiffres publics d'une campagne (agrégats, petits effectifs masqués)",
                    "parameters": [
                        {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}
                    ],
                    "responses": {
                        "200": {
                            "description": "Chiffres ; mis en cache 5 minutes",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "properties": {
                                            "campaign": {"type": "object"},
                                            "threshold": {"type": "integer", "const": THRESHOLD},
                                            "generated_at": {"type": "string", "format": "date-time"},
                                            "totals": {
                                                "type": "object",
                                                "properties": {
                                                    **_counts(),
                                                    "cancelled_events": {"type": "integer"},
                                                },
                                            },
                                            "by_department": {"type": "array", "items": row},
                                            "by_kind": {"type": "array", "items": row},
                                            "by_category": {
                                                "type": "array",
                                                "items": {"type": "object", "properties": _counts(False)},
                                            },
                                        },
                                    }
                                }
                            },
                        },
                        "404": {"description": "Campagne inconnue"},
                    },
                }
            }
        },
    }
    return document
