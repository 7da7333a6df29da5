"""iCalendar endpoints: one event's file, the campaign, organiser and filtered
feeds, and a person's own feed.

Each view finds its feed (``service.*_feed``), answers 304 when the client's
copy is current (validators remembered, or from one aggregate query: nothing
built), else sends the built feed, from the cache of built feeds when it is
there.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, request
from flask_babel import gettext as _
from werkzeug.http import is_resource_modified

from eventsapp.calendars import links
from eventsapp.calendars.service import (
    FeedSpec,
    campaign_feed,
    event_feed,
    filtered_feed,
    organisation_feed,
    personal_feed,
)
from eventsapp.calendars.tokens import get_feed_by_token
from eventsapp.calendars.validators import (
    FeedState,
    feed_body,
    feed_state,
    recall_state,
    remember_state,
    state_memo_key,
)
from eventsapp.catalog.filters import parse_agenda_filters
from eventsapp.catalog.models import Event

blueprint = Blueprint("calendars", __name__)

# Public feeds may be kept by proxies and clients for a few minutes: clients
# poll them every hour at best, and a conditional request is cheap.
PUBLIC_CACHE_CONTROL = "public, max-age=300"
# The personal feed's address is its key: no shared cache may keep it.
PRIVATE_CACHE_CONTROL = "private, max-age=300"


@blueprint.app_template_global()
def add_event_links(event: Event) -> links.AddEventLinks:
    """``add_event_links(event)`` in templates (see calendars/links.py)."""
    return links.add_event_links(event)


@blueprint.app_template_global()
def subscription_links_for(kind: str, value: object) -> links.SubscriptionLinks:
    """``subscription_links_for("campaign", campaign)``, ``("organisation",
    event)`` or ``("agenda", filters)`` in templates."""
    makers = {
        "campaign": links.campaign_subscription,
        "organisation": links.organisation_subscription,
        "agenda": links.agenda_subscription,
    }
    return makers[kind](value)


def _is_current(state: FeedState) -> bool:
    """Whether the client's copy (If-None-Match, If-Modified-Since) is current."""
    return not is_resource_modified(request.environ, etag=state.etag, last_modified=state.last_modified)


def _with_headers(response: Response, state: FeedState, private: bool) -> Response:
    response.set_etag(state.etag)
    if state.last_modified is not None:
        response.last_modified = state.last_modified
    if private:
        response.headers["Cache-Control"] = PRIVATE_CACHE_CONTROL
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
    else:
        response.headers["Cache-Control"] = PUBLIC_CACHE_CONTROL
    return response


def calendar_response(spec: FeedSpec, state: FeedState | None = None) -> Response:
    """The feed's answer: 304 when the client's copy is current, else the
    feed, with its validators, file name and caching headers."""
    state = state or feed_state(spec)
    if _is_current(state):
        return _with_headers(Response(status=304), state, spec.private)
    response = Response(feed_body(spec, state), content_type="text/calendar; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{spec.filename}"'
    return _with_headers(response, state, spec.private)


def public_calendar_response(identity: str, make_spec: Callable[[], FeedSpec]) -> Response:
    """``calendar_response`` for a public feed, whose validators may be
    remembered: a client whose copy is current gets its 304 with no query."""
    memo_key = state_memo_key(identity)
    remembered = recall_state(memo_key)
    if remembered is not None and _is_current(remembered):
        return _with_headers(Response(status=304), remembered, private=False)
    spec = make_spec()
    if remembered is not None:
        return calendar_response(spec, remembered)
    state = feed_state(spec)
    remember_state(memo_key, state)
    return calendar_response(spec, state)


@blueprint.get("/events/<slug:slug>.ics")
def event_file(slug: str) -> Response:
    """One event, to add to a calendar (cancelled events too)."""
    return public_calendar_response(f"event:{slug}", lambda: event_feed(slug))


@blueprint.get("/campaigns/<slug:slug>.ics", endpoint="campaign_feed")
def campaign_feed_view(slug: str) -> Response:
    """A campaign's feed."""
    return public_calendar_response(f"campaign:{slug}", lambda: campaign_feed(slug))


@blueprint.get("/organisations/<slug:slug>.ics", endpoint="organisation_feed")
def organisation_feed_view(slug: str) -> Response:
    """An organiser's feed."""
    return public_calendar_response(f"organisation:{slug}", lambda: organisation_feed(slug))


@blueprint.get("/calendar.ics", endpoint="filtered_feed")
def filtered_feed_view() -> Response | tuple[str, int, dict[str, str]]:
    """Any agenda filter as a feed: the agenda's query parameters. A value the
    agenda would drop with a message is refused here (400), since a calendar
    client shows no message and the feed would silently hold more."""
    filters = parse_agenda_filters(request.args)
    errors = [message for name, message in filters.errors.items() if name != "page"]
    if errors:
        text = "\n".join([_("Cette adresse d'agenda contient des critères invalides :"), *errors])
        return text + "\n", 400, {"Content-Type": "text/plain; charset=utf-8"}
    identity = f"filter:{sorted(filters.query_args().items())!r}"
    return public_calendar_response(identity, lambda: filtered_feed(filters))


@blueprint.get("/me/<token>.ics", endpoint="personal_feed")
def personal_feed_view(token: str) -> Response:
    """A person's own registrations; 404 for an unknown or revoked token."""
    return calendar_response(personal_feed(get_feed_by_token(token)))
