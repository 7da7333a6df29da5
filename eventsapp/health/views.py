"""/healthz: 200 when the database and the broker answer, else 503 naming which failed."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from eventsapp.health.service import check_broker, check_database

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz() -> tuple[Response, int]:
    """200 when the database and the broker answer, else 503 naming which failed."""
    failures = {"database": check_database(), "broker": check_broker()}
    body = {name: ("ok" if error is None else f"unreachable: {error}") for name, error in failures.items()}
    healthy = all(error is None for error in failures.values())
    body["status"] = "ok" if healthy else "unavailable"
    return jsonify(body), 200 if healthy else 503
