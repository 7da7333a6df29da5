"""Reminders: rules per event, scheduled in the database, scanned by beat."""
