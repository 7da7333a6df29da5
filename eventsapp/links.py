"""Absolute links for e-mails and feeds, built outside any request.

Celery tasks have no request to take a host from, so links are built against
``PUBLIC_URL`` (the address people use, e.g. https://agenda.cress-pdl.org).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app


def absolute_url(endpoint: str, **values: object) -> str:
    """The full URL of ``endpoint`` under ``PUBLIC_URL``."""
    public = urlsplit(current_app.config["PUBLIC_URL"])
    adapter = current_app.url_map.bind(
        public.netloc, script_name=public.path or "/", url_scheme=public.scheme or "https"
    )
    return adapter.build(endpoint, values, force_external=True)
