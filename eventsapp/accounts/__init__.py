"""Organiser accounts and their memberships in organisations."""
