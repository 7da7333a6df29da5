"""Catalog: campaigns, events and their sessions, and the public agenda."""
