"""The iCalendar builder's output against RFC 5545: calendar properties,
CRLF line ends, folding at 75 octets without splitting a French character,
escaped text, VTIMEZONE from zoneinfo, and local times right across the change
to winter time, read back both by ``icalendar`` and from the file's own
VTIMEZONE (as Outlook does)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from eventsapp.calendars.ical import (
    CalendarEntry,
    CalendarInfo,
    build_calendar,
)

PARIS = ZoneInfo("Europe/Paris")
LONG_FRENCH = (
    "Ciné-débat « Économie sociale et solidaire : coopérer, mutualiser, s'engager » "
    "à l'Espace Jean-Moulin ; entrée libre, réservation conseillée — été comme hiver, "
    "ça déménage à Château-Gontier-sur-Mayenne, où l'on célèbre l'ESS"
)


def paris(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS).astimezone(UTC)


def entry(number: int = 1, **changes: object) -> CalendarEntry:
    starts_at = changes.pop("starts_at", paris(2026, 11, 17, 18, 30))
    values: dict = dict(
        uid=f"event-{number}@agenda.exemple.org",
        sequence=0,
        summary=f"Ciné-débat n° {number}",
        description="Projection, puis débat.",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        timezone="Europe/Paris",
        location="Cinéma Le Vox, 12 rue de la Paix, 53000 Laval",
        url=f"https://agenda.exemple.org/events/cine-debat-{number}",
        categories=("Ciné-débat",),
        status="CONFIRMED",
        created=datetime(2026, 9, 1, 8, tzinfo=UTC),
        last_modified=datetime(2026, 10, 2, 9, 15, tzinfo=UTC),
        geo=(48.0707, -0.7734),
    )
    values.update(changes)
    return CalendarEntry(**values)


INFO = CalendarInfo(
    name="Mois de l'ESS 2026", description="Les événements du Mois de l'ESS", timezone="Europe/Paris"
)


def build(*entries: CalendarEntry, info: CalendarInfo = INFO) -> bytes:
    return build_calendar(info, entries)


def vtimezone_utc(calendar: Calendar, tzid: str, local: datetime) -> datetime:
    """``local`` (naive) converted to UTC with the calendar's own VTIMEZONE:
    the latest onset (DTSTART or RDATE of a STANDARD or DAYLIGHT part) not
    after it gives the offset."""
    zone = next(component for component in calendar.walk("VTIMEZONE") if str(component["TZID"]) == tzid)
    onsets: list[tuple[datetime, timedelta]] = []
    for part in zone.subcomponents:
        offset = part["TZOFFSETTO"].td
        onsets.append((part.decoded("DTSTART").replace(tzinfo=None), offset))
        rdates = part.get("RDATE", [])
        for rdate in rdates if isinstance(rdates, list) else [rdates]:
            onsets.extend((moment.dt.replace(tzinfo=None), offset) for moment in rdate.dts)
    offset = max((onset for onset in onsets if onset[0] <= local), key=lambda onset: onset[0])[1]
    return (local - offset).replace(tzinfo=UTC)


def test_the_calendar_says_what_it_is(app):
    with app.app_context():
        calendar = Calendar.from_ical(build(entry()))
    assert str(calendar["PRODID"]).startswith("-//eventsapp//")
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["CALSCALE"]) == "GREGORIAN"
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(calendar["X-WR-CALNAME"]) == "Mois de l'ESS 2026"
    assert str(calendar["X-WR-CALDESC"]) == "Les événements du Mois de l'ESS"
    assert str(calendar["X-WR-TIMEZONE"]) == "Europe/Paris"


def test_refresh_interval_is_a_typed_duration(app):
    with app.app_context():
        raw = build(entry()).decode()
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in raw
    assert "X-PUBLISHED-TTL;VALUE=DURATION:PT1H\r\n" in raw


def test_every_line_ends_with_crlf(app):
    with app.app_context():
        raw = build(entry(1), entry(2, description="Ligne un.\nLigne deux.\n\nParagraphe."))
    assert raw.endswith(b"\r\n")
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert b"\r" not in raw.replace(b"\r\n", b"")


def test_long_french_lines_are_folded_at_75_octets_without_splitting_a_character(app):
    with app.app_context():
        raw = build(entry(summary=LONG_FRENCH, description=LONG_FRENCH * 3, location=LONG_FRENCH))
    lines = raw.split(b"\r\n")
    assert max(len(line) for line in lines) <= 75
    assert sum(1 for line in lines if line.startswith(b" ")) > 5, "long lines must be folded"
    for line in lines:
        line.decode("utf-8")  # a multi-byte character cut in two would not decode
    vevent = Calendar.from_ical(raw).walk("VEVENT")[0]
    assert str(vevent["SUMMARY"]) == LONG_FRENCH
    assert str(vevent["DESCRIPTION"]) == LONG_FRENCH * 3
    assert str(vevent["LOCATION"]) == LONG_FRENCH


def test_commas_semicolons_backslashes_and_newlines_are_escaped(app):
    summary = "Atelier : vélo, couture; réparation \\ réemploi"
    description = "Premier paragraphe, avec virgule; et point-virgule.\n\nSecond paragraphe."
    with app.app_context():
        raw = build(entry(summary=summary, description=description))
    unfolded = raw.replace(b"\r\n ", b"").decode()
    assert "SUMMARY:Atelier : vélo\\, couture\\; réparation \\\\ réemploi\r\n" in unfolded
    assert "DESCRIPTION:Premier paragraphe\\, avec virgule\\; et point-virgule.\\n\\nSecond" in unfolded
    vevent = Calendar.from_ical(raw).walk("VEVENT")[0]
    assert str(vevent["SUMMARY"]) == summary
    assert str(vevent["DESCRIPTION"]) == description
    assert str(vevent["LOCATION"]) == "Cinéma Le Vox, 12 rue de la Paix, 53000 Laval"


def test_the_paris_vtimezone_has_summer_and_winter_time_from_zoneinfo(app):
    with app.app_context():
        calendar = Calendar.from_ical(build(entry()))
    zones = calendar.walk("VTIMEZONE")
    assert [str(zone["TZID"]) for zone in zones] == ["Europe/Paris"]
    parts = {part.name: part for part in zones[0].subcomponents}
    assert set(parts) == {"STANDARD", "DAYLIGHT"}
    raw = zones[0].to_ical().decode()
    assert "TZOFFSETTO:+0100" in raw and "TZOFFSETTO:+0200" in raw
    # 2026: summer time from 29 March, winter time from 25 October, 03:00.
    assert "20260329T0" in raw
    assert "20261025T030000" in raw


@pytest.mark.parametrize(
    ("local", "utc"),
    [
        # Still summer time (UTC+2), the Saturday before the change.
        (datetime(2026, 10, 24, 18), datetime(2026, 10, 24, 16, tzinfo=UTC)),
        # Winter time (UTC+1) since Sunday 25 October 2026 at 03:00.
        (datetime(2026, 10, 31, 18), datetime(2026, 10, 31, 17, tzinfo=UTC)),
        (datetime(2026, 11, 1, 18), datetime(2026, 11, 1, 17, tzinfo=UTC)),
    ],
)
def test_local_times_are_right_across_the_change_to_winter_time(app, local, utc):
    starts_at = local.replace(tzinfo=PARIS).astimezone(UTC)
    assert starts_at == utc  # the test's own arithmetic
    with app.app_context():
        raw = build(entry(starts_at=starts_at))
    stamp = local.strftime("%Y%m%dT%H%M%S")
    assert f"DTSTART;TZID=Europe/Paris:{stamp}\r\n" in raw.decode()
    calendar = Calendar.from_ical(raw)
    vevent = calendar.walk("VEVENT")[0]
    assert vevent.decoded("DTSTART").astimezone(UTC) == utc
    assert vevent.decoded("DTEND").astimezone(UTC) == utc + timedelta(hours=2)
    # What a client that only trusts the file's VTIMEZONE computes.
    assert vtimezone_utc(calendar, "Europe/Paris", local) == utc


def test_an_event_overseas_gets_its_own_zone(app):
    reunion = datetime(2026, 11, 17, 18, tzinfo=ZoneInfo("Indian/Reunion")).astimezone(UTC)
    with app.app_context():
        raw = build(entry(1), entry(2, starts_at=reunion, timezone="Indian/Reunion"))
    calendar = Calendar.from_ical(raw)
    assert sorted(str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")) == [
        "Europe/Paris",
        "Indian/Reunion",
    ]
    assert "DTSTART;TZID=Indian/Reunion:20261117T180000\r\n" in raw.decode()
    assert vtimezone_utc(calendar, "Indian/Reunion", datetime(2026, 11, 17, 18)) == reunion


def test_vevent_fields_and_no_organizer_or_attendee(app):
    with app.app_context():
        raw = build(entry(7, sequence=3, status="TENTATIVE"))
    vevent = Calendar.from_ical(raw).walk("VEVENT")[0]
    assert str(vevent["UID"]) == "event-7@agenda.exemple.org"
    assert vevent["SEQUENCE"] == 3
    assert str(vevent["STATUS"]) == "TENTATIVE"
    assert vevent.decoded("DTSTAMP") == datetime(2026, 10, 2, 9, 15, tzinfo=UTC)
    assert vevent.decoded("LAST-MODIFIED") == datetime(2026, 10, 2, 9, 15, tzinfo=UTC)
    assert vevent.decoded("CREATED") == datetime(2026, 9, 1, 8, tzinfo=UTC)
    assert str(vevent["URL"]) == "https://agenda.exemple.org/events/cine-debat-7"
    assert vevent["GEO"].latitude == pytest.approx(48.0707)
    assert vevent["GEO"].longitude == pytest.approx(-0.7734)
    assert [str(value) for value in vevent["CATEGORIES"].cats] == ["Ciné-débat"]
    assert "ORGANIZER" not in vevent and "ATTENDEE" not in vevent
    assert b"ORGANIZER" not in raw and b"ATTENDEE" not in raw


def test_the_same_data_gives_the_same_bytes(app):
    """DTSTAMP is the last change, not the build time: a feed's ETag can be
    computed from the data alone."""
    with app.app_context():
        assert build(entry(1), entry(2)) == build(entry(1), entry(2))


def test_an_empty_calendar_is_still_valid(app):
    with app.app_context():
        calendar = Calendar.from_ical(build())
    assert calendar.walk("VEVENT") == []
    assert [str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")] == ["Europe/Paris"]
