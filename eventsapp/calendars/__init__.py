"""Calendars: iCalendar files and feeds of events, and personal feeds."""
