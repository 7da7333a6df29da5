"""Check-in on the day: registrations marked present, and walk-ins."""
