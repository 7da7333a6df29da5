"""Domain exceptions and the French error pages.

Services raise ``DomainError`` subclasses carrying a French message meant for
the person; views turn them into a page or a form error. HTTP errors get a
French page instead of Werkzeug's English one, and a 500 never shows a trace.
"""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException


class DomainError(Exception):
    """A rule of the domain refused an action; ``message`` is for the person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    """What was asked for does not exist or is not public."""


def _titles() -> dict[int, str]:
    return {
        400: _("Requête incorrecte"),
        403: _("Accès refusé"),
        404: _("Page introuvable"),
        405: _("Méthode non autorisée"),
        415: _("Format non pris en charge"),
        429: _("Trop de demandes"),
        500: _("Erreur interne"),
        503: _("Service indisponible"),
    }


def _explanations() -> dict[int, str]:
    return {
        400: _("La demande n'a pas pu être comprise. Vérifiez l'adresse ou le formulaire."),
        403: _("Vous n'avez pas accès à cette page."),
        404: _("Cette page n'existe pas, ou l'événement n'est pas (ou plus) public."),
        405: _("Cette adresse ne s'utilise pas de cette façon."),
        415: _("Ce formulaire s'envoie depuis sa page sur le site : rien n'a été enregistré."),
        429: _("Vous avez fait trop de demandes en peu de temps. Réessayez dans quelques minutes."),
        500: _("Une erreur s'est produite de notre côté. Elle a été enregistrée ; réessayez plus tard."),
        503: _("Le service est momentanément indisponible. Réessayez dans quelques minutes."),
    }


def render_error_page(code: int) -> tuple[str, int]:
    """The French page for an HTTP status code."""
    return (
        render_template(
            "errors/error.html",
            code=code,
            title=_titles().get(code, _("Erreur")),
            explanation=_explanations().get(code, ""),
        ),
        code,
    )


def register_http_error_pages(app: Flask) -> None:
    """French pages for HTTP errors and for unexpected exceptions."""

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        if request.path == "/healthz" or error.code is None:
            return error
        return render_error_page(error.code)

    @app.errorhandler(NotFound)
    def _not_found(_error: NotFound):
        return render_error_page(404)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        if app.testing:
            raise error  # let the test show the real traceback
        app.logger.exception("Unhandled error on %s", request.path)
        return render_error_page(500)
