"""Organisations: the structures that run events (CRESS, clubs, associations…)."""
