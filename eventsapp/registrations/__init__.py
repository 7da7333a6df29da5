"""Registrations: sign-ups, seats, sessions chosen, waiting list."""
