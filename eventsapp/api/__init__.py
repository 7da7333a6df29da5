"""The JSON API, ``/api/v1/…``: public, read-only, no personal data.

Today: a campaign's public figures (``/api/v1/campaigns/<slug>/stats``) and
the OpenAPI document that describes it (``/api/v1/openapi.json``).
"""
