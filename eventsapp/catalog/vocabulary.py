"""Controlled vocabularies of the catalog: kinds of event, audiences, statuses."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from eventsapp.enums import LabelledEnum


class EventKind(LabelledEnum):
    """Kinds of event; values are the stable slugs used in agenda URLs."""

    CONFERENCE = "conference"
    CINE_DEBAT = "cine-debat"
    VISITE = "visite"
    ATELIER = "atelier"
    TABLE_RONDE = "table-ronde"
    TEMOIGNAGES = "temoignages"
    EXPOSITION = "exposition"
    SALON = "salon"
    PETIT_DEJEUNER = "petit-dejeuner"
    PLENIERE = "pleniere"
    INTERVENTION_SCOLAIRE = "intervention-scolaire"
    FORUM = "forum"
    AUTRE = "autre"

    @classmethod
    def _labels(cls):
        return {
            "conference": _l("Conférence"),
            "cine-debat": _l("Ciné-débat"),
            "visite": _l("Visite d'entreprise"),
            "atelier": _l("Atelier"),
            "table-ronde": _l("Table ronde"),
            "temoignages": _l("Témoignages"),
            "exposition": _l("Exposition"),
            "salon": _l("Salon"),
            "petit-dejeuner": _l("Petit-déjeuner"),
            "pleniere": _l("Réunion plénière"),
            "intervention-scolaire": _l("Intervention scolaire"),
            "forum": _l("Forum"),
            "autre": _l("Autre"),
        }


class Audience(LabelledEnum):
    """Who an event is meant for; values are used in agenda URLs."""

    GRAND_PUBLIC = "grand-public"
    SCOLAIRES = "scolaires"
    ETUDIANTS = "etudiants"
    PROFESSIONNELS = "professionnels-ess"
    ENTREPRISES = "entreprises"
    ELUS = "elus-collectivites"
    DEMANDEURS_EMPLOI = "demandeurs-emploi"
    JEUNES = "jeunes"

    @classmethod
    def _labels(cls):
        return {
            "grand-public": _l("Grand public"),
            "scolaires": _l("Scolaires"),
            "etudiants": _l("Étudiant·es"),
            "professionnels-ess": _l("Professionnel·les de l'ESS"),
            "entreprises": _l("Entreprises"),
            "elus-collectivites": _l("Élu·es et collectivités"),
            "demandeurs-emploi": _l("Demandeur·ses d'emploi"),
            "jeunes": _l("Jeunes"),
        }


class EventStatus(LabelledEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    PUBLISHED = "published"
    CANCELLED = "cancelled"

    @classmethod
    def _labels(cls):
        return {
            "draft": _l("Brouillon"),
            "submitted": _l("Soumis à la coordination"),
            "published": _l("Publié"),
            "cancelled": _l("Annulé"),
        }


class QuestionKind(LabelledEnum):
    TEXT = "text"
    SINGLE_CHOICE = "single-choice"
    MULTIPLE_CHOICE = "multiple-choice"
    YES_NO = "yes-no"

    @classmethod
    def _labels(cls):
        return {
            "text": _l("Texte libre"),
            "single-choice": _l("Choix unique"),
            "multiple-choice": _l("Choix multiples"),
            "yes-no": _l("Oui / non"),
        }
