"""French dates and times, in the event's time zone, around the change of offset."""

from datetime import UTC, datetime

import pytest

from eventsapp.formatting import format_moment, format_span


@pytest.fixture
def request_context(app):
    with app.test_request_context("/"):
        yield


@pytest.mark.parametrize(
    ("utc_moment", "expected"),
    [
        # Summer time (UTC+2) until the last Sunday of October 2026 (25th) at 3:00.
        (datetime(2026, 10, 24, 16, 30, tzinfo=UTC), "samedi 24 octobre 2026, 18 h 30"),
        (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), "dimanche 25 octobre 2026, 2 h 30"),
        # 1:00 UTC on the 25th is 2:00 winter time (UTC+1), right after the change.
        (datetime(2026, 10, 25, 1, 0, tzinfo=UTC), "dimanche 25 octobre 2026, 2 h"),
        (datetime(2026, 11, 17, 17, 30, tzinfo=UTC), "mardi 17 novembre 2026, 18 h 30"),
        (datetime(2026, 3, 29, 1, 15, tzinfo=UTC), "dimanche 29 mars 2026, 3 h 15"),
        (datetime(2026, 12, 31, 23, 0, tzinfo=UTC), "vendredi 1er janvier 2027, 0 h"),
    ],
)
def test_moments_are_french_and_local(request_context, utc_moment, expected):
    assert format_moment(utc_moment, "Europe/Paris") == expected


def test_same_day_span_shows_the_end_time_only(request_context):
    starts = datetime(2026, 11, 17, 8, 0, tzinfo=UTC)
    ends = datetime(2026, 11, 17, 16, 0, tzinfo=UTC)
    assert format_span(starts, ends, "Europe/Paris") == "mardi 17 novembre 2026, 9 h – 17 h"


def test_span_over_days_shows_both_days(request_context):
    starts = datetime(2026, 11, 20, 13, 0, tzinfo=UTC)
    ends = datetime(2026, 11, 21, 17, 0, tzinfo=UTC)
    assert format_span(starts, ends, "Europe/Paris") == (
        "vendredi 20 novembre 2026, 14 h – samedi 21 novembre 2026, 18 h"
    )


def test_other_time_zones_are_respected(request_context):
    moment = datetime(2026, 11, 17, 14, 0, tzinfo=UTC)
    assert format_moment(moment, "Indian/Reunion") == "mardi 17 novembre 2026, 18 h"
