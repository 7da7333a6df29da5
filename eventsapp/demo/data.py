"""The demo's content: organisations, themes, events and people, in French.

Kept apart from the loading logic (``seed.py``) so the content can be read and
edited on its own. Nothing here touches the database.

Event dates are relative to the anchor day: ``day`` is the offset in days from
the anchor, ``start``/``end`` are local (Europe/Paris) hours and minutes, and
``end_day`` (optional) is how many days after ``day`` the event ends. Other
keys of an event:

- ``org``: slug of the organising organisation (its contact is the default);
- ``venue``: (venue name, address, postcode, commune, département code);
- ``geo``: (latitude, longitude), when known;
- ``in_campaign``: False for events outside the Mois de l'ESS;
- ``status``: an ``EventStatus`` (published by default); ``cancel``: the
  cancellation reason of a cancelled event;
- ``closes``: (days before the start day, hour, minute) of the registration
  deadline; ``opens``: (days after the anchor, hour, minute) of the opening;
- ``fill``: seats to book ("full" = the capacity); ``waitlisted``: how many
  people wait; ``groups``: (structure, seats) of group bookings (classes);
- ``sessions``: (title, description, room, start, end, capacity); ``attend``:
  "plenary-and-one" (first session plus one other) or "one";
- ``categories``: the ``ParticipantCategory`` values registrants are drawn from.
"""

from __future__ import annotations

from typing import Any

from eventsapp.catalog.vocabulary import Audience as A
from eventsapp.catalog.vocabulary import EventKind as K
from eventsapp.catalog.vocabulary import EventStatus, QuestionKind
from eventsapp.organisations.models import OrganisationKind as O
from eventsapp.registrations.models import ParticipantCategory as P

CAMPAIGN_SERIES = "mois-ess"
CAMPAIGN_COORDINATOR = "cress-pays-de-la-loire"
CAMPAIGN_DESCRIPTION = (
    "Chaque année en novembre, le Mois de l'économie sociale et solidaire ouvre les portes des "
    "associations, coopératives, mutuelles et fondations de nos territoires. En Pays de la Loire, "
    "en Normandie et en Centre-Val de Loire, plus de trente rendez-vous invitent habitant·es, "
    "élu·es, scolaires et professionnel·les à découvrir celles et ceux qui entreprennent autrement."
)

ORGANISATIONS: list[dict[str, Any]] = [
    {"slug": "cress-pays-de-la-loire", "name": "CRESS Pays de la Loire", "kind": O.RESEAU,
     "department": "44", "commune": "Nantes", "contact_name": "Claire Guérin", "phone": "02 61 91 10 01",
     "email": "mois-ess@cress-pdl.exemple.fr",
     "description": "La Chambre régionale de l'économie sociale et solidaire représente et fédère les "
     "acteurs de l'ESS des cinq départements ligériens. Elle coordonne le Mois de l'ESS en région."},
    {"slug": "club-ess-sarthe", "name": "Club ESS de la Sarthe", "kind": O.ASSOCIATION,
     "department": "72", "commune": "Le Mans", "contact_name": "Mathieu Lebreton", "phone": "02 61 91 10 02",
     "email": "contact@club-ess72.exemple.fr",
     "description": "Le Club ESS réunit dirigeant·es d'associations, de coopératives et d'entreprises "
     "sarthoises engagées. Il anime des petits déjeuners thématiques et organise la Journée de l'ESS."},
    {"slug": "apess-53", "name": "APESS 53", "kind": O.ASSOCIATION,
     "department": "53", "commune": "Laval", "contact_name": "Soizic Bouvet", "phone": "02 61 91 10 03",
     "email": "bonjour@apess53.exemple.fr",
     "description": "L'Association pour la promotion de l'économie sociale et solidaire en Mayenne fait "
     "connaître l'ESS au grand public et aux jeunes, par des ciné-débats et des interventions en classe."},
    {"slug": "pole-ess-coutances", "name": "Pôle ESS du Pays de Coutances", "kind": O.RESEAU,
     "department": "50", "commune": "Coutances", "contact_name": "Yann Lemarchand", "phone": "02 61 91 10 04",
     "email": "pole@ess-coutances.exemple.fr",
     "description": "Pôle territorial de coopération économique, il rassemble une quarantaine de "
     "structures du centre Manche autour de projets communs : alimentation, mobilité, tiers-lieux."},
    {"slug": "scop-imprimerie-anjou", "name": "Scop L'Imprimerie Solidaire d'Anjou", "kind": O.COOPERATIVE,
     "department": "49", "commune": "Angers", "contact_name": "Hélène Rousseau", "phone": "02 61 91 10 05",
     "email": "atelier@imprimerie-anjou.exemple.fr",
     "description": "Imprimerie reprise par ses salarié·es en 2012, la Scop emploie vingt-deux "
     "personnes dont dix-huit associé·es. Elle imprime sur papier recyclé avec des encres végétales."},
    {"slug": "ressourcerie-alencon", "name": "La Fabrique à Réemploi", "kind": O.ASSOCIATION,
     "department": "61", "commune": "Alençon", "contact_name": "Nadia Benali", "phone": "02 61 91 10 06",
     "email": "ressourcerie@fabrique-reemploi.exemple.fr",
     "description": "Ressourcerie de l'agglomération d'Alençon : collecte, tri, réparation et revente "
     "d'objets. Elle sensibilise chaque année des milliers d'habitant·es à la réduction des déchets."},
    {"slug": "mutuelle-solidaire-ouest", "name": "Mutuelle Solidaire de l'Ouest", "kind": O.MUTUELLE,
     "department": "14", "commune": "Caen", "contact_name": "Benoît Marie", "phone": "02 61 91 10 07",
     "email": "prevention@mso.exemple.fr",
     "description": "Mutuelle santé à but non lucratif, gouvernée par ses adhérent·es. Elle mène des "
     "actions de prévention en Normandie, notamment sur la santé au travail."},
    {"slug": "fondation-val-de-loire", "name": "Fondation Val de Loire Solidarités", "kind": O.FONDATION,
     "department": "37", "commune": "Tours", "contact_name": "Agnès Delorme", "phone": "02 61 91 10 08",
     "email": "contact@fvls.exemple.fr",
     "description": "Fondation abritante qui soutient les projets d'utilité sociale en Touraine : "
     "mécénat financier, mécénat de compétences et prêts d'honneur."},
    {"slug": "berry-insertion", "name": "Berry Réemploi Insertion", "kind": O.INSERTION,
     "department": "18", "commune": "Vierzon", "contact_name": "Karim Haddad", "phone": "02 61 91 10 09",
     "email": "accueil@berry-insertion.exemple.fr",
     "description": "Entreprise d'insertion spécialisée dans la déconstruction et le réemploi de "
     "matériaux du bâtiment. Quarante salarié·es en parcours y préparent un retour durable à l'emploi."},
    {"slug": "ville-chateauroux", "name": "Ville de Châteauroux", "kind": O.COLLECTIVITE,
     "department": "36", "commune": "Châteauroux", "contact_name": "Sylvie Moreau", "phone": "02 61 91 10 10",
     "email": "vie-associative@ville-chateauroux.exemple.fr",
     "description": "Le service Vie associative et ESS de la Ville accompagne les associations "
     "castelroussines et organise chaque automne le Forum de l'engagement."},
    {"slug": "beauce-solidaire", "name": "Beauce Solidaire", "kind": O.ASSOCIATION,
     "department": "28", "commune": "Chartres", "contact_name": "Pierre Gaudin", "phone": "02 61 91 10 11",
     "email": "contact@beauce-solidaire.exemple.fr",
     "description": "Collectif d'associations d'Eure-et-Loir pour le développement de l'ESS en milieu "
     "rural : épiceries solidaires, mobilité, accès au numérique."},
    {"slug": "collectif-ess-41", "name": "Collectif ESS Loir-et-Cher", "kind": O.ASSOCIATION,
     "department": "41", "commune": "Blois", "contact_name": "Julie Caillaud", "phone": "02 61 91 10 12",
     "email": "collectif@ess41.exemple.fr",
     "description": "Réseau d'acteurs de l'ESS du Loir-et-Cher, de Vendôme à Romorantin. Il propose "
     "des ateliers pratiques aux porteurs et porteuses de projets associatifs."},
    {"slug": "maison-ess-loiret", "name": "Maison de l'ESS du Loiret", "kind": O.AUTRE,
     "department": "45", "commune": "Orléans", "contact_name": "Thomas Lefèvre", "phone": "02 61 91 10 13",
     "email": "maison@ess-loiret.exemple.fr",
     "description": "Tiers-lieu orléanais dédié à l'ESS : espace de coworking, permanences d'accompagnement "
     "et programme « Mon ESS à l'École » dans les collèges du département."},
]  # fmt: skip

THEMES: dict[str, str] = {
    "emploi-insertion": "Emploi et insertion",
    "transition-ecologique": "Transition écologique",
    "economie-circulaire": "Économie circulaire et réemploi",
    "cooperation": "Coopération et gouvernance",
    "finance-solidaire": "Finance solidaire",
    "jeunesse-education": "Jeunesse et éducation",
    "sante-social": "Santé et action sociale",
    "territoires": "Développement des territoires",
}

ACCESS_PMR = "Lieu accessible aux personnes à mobilité réduite. Boucle magnétique à l'accueil."
ACCESS_GROUND = "Salle de plain-pied, accessible en fauteuil roulant. Places de stationnement réservées."
ACCESS_PARTIAL = "Visite en partie à l'étage, sans ascenseur : prévenez-nous, nous adapterons le parcours."

JOURNEE_SESSIONS = [
    ("Plénière d'ouverture : l'ESS, moteur de l'économie sarthoise",
     "Chiffres clés de l'ESS en Sarthe et regards croisés d'élu·es et de dirigeant·es.",
     "Auditorium", (9, 15), (10, 45), 250),
    ("Atelier 1 : coopérer entre entreprises du territoire",
     "Mutualiser des emplois, des locaux ou des achats : retours d'expérience.", "Salle Bollée",
     (11, 0), (12, 30), 40),
    ("Atelier 2 : réemploi et économie circulaire",
     "Comment les ressourceries et les entreprises locales réduisent leurs déchets.", "Salle Sarthe",
     (11, 0), (12, 30), 60),
    ("Atelier 3 : recruter et former dans l'ESS",
     "Attirer les jeunes, accueillir des salarié·es en insertion, former les bénévoles.", "Salle Huisne",
     (14, 0), (15, 30), 80),
    ("Atelier 4 : financer son projet avec les outils solidaires",
     "Prêts d'honneur, épargne solidaire, financement participatif : qui fait quoi ?", "Salle Bollée",
     (14, 0), (15, 30), 50),
]  # fmt: skip

SALON_SLOTS = [
    (
        f"Créneau de visite {start}h – {start + 2}h",
        "Entrée par le hall principal avec votre confirmation.",
        "Hall d'accueil",
        (start, 0),
        (start + 2, 0),
        150,
    )
    for start in (10, 12, 14, 16)
]

LAVAL_CINEMA = ("Cinéma Le Palace", "14 rue de la Paix", "53000", "Laval", "53")
LAVAL_GEO = (48.0706, -0.7734)
LE_MANS_CONGRES = ("Centre des congrès Le Mans Cité", "Rue d'Arcole", "72000", "Le Mans", "72")

EVENTS: list[dict[str, Any]] = [
    # --- Pays de la Loire: the coordination ---
    {"org": "cress-pays-de-la-loire", "kind": K.CONFERENCE, "day": -6, "start": (10, 0), "end": (12, 30),
     "title": "Lancement régional du Mois de l'ESS",
     "summary": "Présentation du programme régional et des chiffres de l'emploi dans l'ESS ligérienne.",
     "description": "La CRESS lance le Mois de l'ESS en présence des réseaux départementaux. "
     "Au programme : le nouveau panorama de l'emploi dans l'ESS, la présentation des temps forts "
     "et un temps d'échange avec la presse. Un café d'accueil est servi dès 9 h 30.",
     "venue": ("Hôtel de Région, salle Loire", "1 rue de la Loire", "44200", "Nantes", "44"),
     "geo": (47.2106, -1.5459), "audiences": [A.PROFESSIONNELS, A.ELUS], "capacity": 120, "fill": 18,
     "themes": ["territoires"], "accessibility": ACCESS_PMR,
     "categories": [P.SALARIE_ESS, P.SALARIE_ESS, P.ELU, P.COLLECTIVITE, P.PRESSE]},
    {"org": "cress-pays-de-la-loire", "kind": K.TABLE_RONDE, "day": 24, "start": (14, 0), "end": (17, 30),
     "title": "Table ronde régionale : l'ESS face aux transitions",
     "summary": "Climat, vieillissement, emploi : quatre dirigeant·es confrontent leurs réponses.",
     "description": "Comment les entreprises de l'ESS anticipent-elles les grandes transitions ? "
     "Une coopérative agricole, un service d'aide à domicile, une entreprise adaptée et une "
     "collectivité partagent leurs choix et leurs doutes. Échanges avec la salle en seconde partie.",
     "venue": ("Maison de l'ESS d'Angers", "8 rue Saint-Lazare", "49100", "Angers", "49"),
     "geo": (47.4752, -0.5667), "audiences": [A.PROFESSIONNELS, A.ELUS, A.ENTREPRISES],
     "capacity": 100, "fill": 15, "closes": (1, 12, 0), "themes": ["transition-ecologique"],
     "accessibility": ACCESS_PMR, "categories": [P.SALARIE_ESS, P.ELU, P.ENTREPRISE, P.BENEVOLE]},
    {"org": "cress-pays-de-la-loire", "kind": K.PLENIERE, "day": 27, "start": (17, 30), "end": (20, 0),
     "title": "Rencontre de clôture du Mois de l'ESS",
     "summary": "Bilan de l'édition, remise des Prix de l'ESS et verre de l'amitié.",
     "description": "Pour clore le mois, la CRESS réunit organisateurs et partenaires. Les lauréat·es "
     "des Prix de l'ESS présentent leurs projets, puis un buffet préparé par un traiteur d'insertion "
     "permet de prolonger les échanges.",
     "venue": ("Le Solilab", "8 rue de Saint-Domingue", "44200", "Nantes", "44"),
     "geo": (47.2010, -1.5713), "audiences": [A.PROFESSIONNELS, A.GRAND_PUBLIC], "capacity": 200,
     "fill": 18, "max_seats": 2, "accessibility": ACCESS_GROUND, "themes": ["cooperation"]},
    # --- Sarthe: Club ESS ---
    {"org": "club-ess-sarthe", "kind": K.FORUM, "day": 10, "start": (9, 0), "end": (17, 0),
     "title": "Journée de l'ESS en Sarthe",
     "summary": "Une plénière et quatre ateliers pour découvrir et faire grandir l'ESS sarthoise.",
     "description": "Rendez-vous annuel des acteurs sarthois, la Journée de l'ESS alterne une plénière "
     "d'ouverture et des ateliers pratiques. Choisissez votre atelier à l'inscription. Le déjeuner, "
     "préparé par un restaurant d'insertion, est offert aux inscrit·es.",
     "venue": LE_MANS_CONGRES, "geo": (48.0036, 0.1997),
     "audiences": [A.PROFESSIONNELS, A.ENTREPRISES, A.ELUS, A.ETUDIANTS], "capacity": 250,
     "max_seats": 4, "fill": 80, "closes": (1, 12, 0), "sessions": JOURNEE_SESSIONS,
     "attend": "plenary-and-one", "accessibility": ACCESS_PMR,
     "themes": ["cooperation", "emploi-insertion", "finance-solidaire"],
     "questions": [("Déjeunerez-vous sur place ?", QuestionKind.YES_NO, [], True),
                   ("Régime alimentaire", QuestionKind.SINGLE_CHOICE,
                    ["Aucun", "Végétarien", "Sans gluten", "Autre (précisez à l'accueil)"], False)],
     "categories": [P.SALARIE_ESS, P.SALARIE_ESS, P.BENEVOLE, P.ENTREPRISE, P.ELU, P.ETUDIANT]},
    {"org": "club-ess-sarthe", "kind": K.SALON, "day": 20, "start": (10, 0), "end": (18, 0),
     "title": "1er Salon de l'ESS au Mans",
     "summary": "Soixante exposants, des animations pour les familles : l'ESS près de chez vous.",
     "description": "Pour sa première édition, le Salon réunit associations, coopératives, mutuelles "
     "et entreprises d'insertion de la Sarthe. Réservez un créneau de visite pour éviter l'attente : "
     "les entrées sont limitées à 150 personnes par créneau. Ateliers réparation et jeux coopératifs "
     "toute la journée.",
     "venue": ("Halles Saint-Nicolas", "Place Saint-Nicolas", "72000", "Le Mans", "72"),
     "geo": (48.0090, 0.1960), "audiences": [A.GRAND_PUBLIC, A.JEUNES, A.DEMANDEURS_EMPLOI],
     "capacity": 600, "max_seats": 6, "fill": 40, "sessions": SALON_SLOTS, "attend": "one",
     "accessibility": ACCESS_GROUND, "themes": ["economie-circulaire", "territoires"]},
    {"org": "club-ess-sarthe", "kind": K.PETIT_DEJEUNER, "day": 2, "start": (8, 30), "end": (10, 0),
     "title": "Petit déjeuner : recruter et fidéliser dans l'ESS",
     "summary": "Marque employeur, qualité de vie au travail : les pistes qui marchent.",
     "description": "Trois employeurs sarthois racontent comment ils ont réduit leur turn-over. "
     "Échanges libres autour d'un petit déjeuner de produits locaux.",
     "venue": ("Café associatif L'Épicerie du Pré", "31 rue du Pré", "72100", "Le Mans", "72"),
     "audiences": [A.PROFESSIONNELS, A.ENTREPRISES], "capacity": 25, "fill": "full",
     "themes": ["emploi-insertion"], "accessibility": ACCESS_GROUND,
     "categories": [P.SALARIE_ESS, P.ENTREPRISE, P.BENEVOLE]},
    {"org": "club-ess-sarthe", "kind": K.PETIT_DEJEUNER, "day": 9, "start": (8, 30), "end": (10, 0),
     "title": "Petit déjeuner : la commande publique responsable",
     "summary": "Clauses sociales et marchés réservés : acheteurs publics et structures de l'ESS dialoguent.",
     "description": "La commande publique peut soutenir l'emploi local et l'insertion. Une acheteuse "
     "de Le Mans Métropole et deux entreprises d'insertion expliquent comment répondre aux marchés "
     "réservés.",
     "venue": ("Maison des associations", "5 rue de la Tannerie", "72200", "La Flèche", "72"),
     "geo": (47.6990, -0.0760), "audiences": [A.ELUS, A.ENTREPRISES], "capacity": 30, "fill": 10,
     "closes": (1, 18, 0), "themes": ["emploi-insertion", "territoires"],
     "categories": [P.COLLECTIVITE, P.ELU, P.ENTREPRISE, P.SALARIE_ESS]},
    {"org": "club-ess-sarthe", "kind": K.PETIT_DEJEUNER, "day": 23, "start": (8, 30), "end": (10, 0),
     "title": "Petit déjeuner : financer son projet avec la finance solidaire",
     "summary": "Épargne salariale solidaire, prêts d'honneur, garanties : le tour des financeurs.",
     "description": "France Active, une banque coopérative et un club d'investisseurs solidaires "
     "présentent leurs outils. Inscriptions ouvertes quelques jours avant la rencontre.",
     "venue": ("Salle du Rosaire", "2 rue du Rosaire", "72300", "Sablé-sur-Sarthe", "72"),
     "audiences": [A.PROFESSIONNELS, A.ENTREPRISES], "capacity": 30, "opens": (5, 9, 0),
     "themes": ["finance-solidaire"], "accessibility": ACCESS_GROUND},
    # --- Mayenne: APESS 53 ---
    {"org": "apess-53", "kind": K.CINE_DEBAT, "day": 3, "start": (18, 30), "end": (21, 30),
     "title": "Ciné-débat : « Les Lip, l'imagination au pouvoir »",
     "summary": "Projection du documentaire de Christian Rouaud, puis débat avec des salarié·es de Scop.",
     "description": "En 1973, les ouvrières et ouvriers de Lip reprennent leur usine. Cinquante ans plus "
     "tard, que reste-t-il de cette aventure ? Le débat réunit deux Scop mayennaises et l'Union "
     "régionale des Scop. Séance complète : inscrivez-vous sur la liste d'attente.",
     "venue": LAVAL_CINEMA, "geo": LAVAL_GEO, "audiences": [A.GRAND_PUBLIC, A.ETUDIANTS],
     "capacity": 50, "max_seats": 2, "fill": "full", "waitlist": True, "waitlisted": 3,
     "closes": (0, 17, 0), "themes": ["cooperation"], "accessibility": ACCESS_PMR},
    {"org": "apess-53", "kind": K.CINE_DEBAT, "day": 17, "start": (18, 30), "end": (21, 0),
     "title": "Ciné-débat : « Après-demain »",
     "summary": "Ce qui a changé depuis « Demain » : projection et échange avec des initiatives mayennaises.",
     "description": "Cyril Dion revient sur les initiatives filmées dans « Demain » et interroge leurs "
     "limites. Après la projection, une épicerie coopérative et une association de covoiturage rural "
     "partagent leur expérience.",
     "venue": ("Cinéma Le Palace", "Place de la République", "53200", "Château-Gontier-sur-Mayenne", "53"),
     "geo": (47.8286, -0.7028), "audiences": [A.GRAND_PUBLIC], "capacity": 120, "max_seats": 4,
     "fill": 22, "themes": ["transition-ecologique"], "accessibility": ACCESS_PMR},
    {"org": "apess-53", "kind": K.TEMOIGNAGES, "day": 8, "start": (18, 0), "end": (20, 0),
     "title": "Entreprendre autrement : paroles d'entrepreneur·es de l'ESS",
     "summary": "Une boulangère en Scop, un fondateur d'association, une dirigeante d'Esat racontent.",
     "description": "Trois parcours, trois façons d'entreprendre au service d'un projet collectif. "
     "Entrée libre dans la limite des places, sans inscription.",
     "venue": ("Maison de quartier des Fourches", "2 rue de Bretagne", "53000", "Laval", "53"),
     "audiences": [A.GRAND_PUBLIC, A.DEMANDEURS_EMPLOI], "registration_required": False,
     "themes": ["cooperation"], "accessibility": ACCESS_GROUND},
    {"org": "apess-53", "kind": K.TEMOIGNAGES, "day": 15, "start": (17, 30), "end": (19, 0),
     "title": "Jeunes et engagés : ils ont choisi l'ESS",
     "summary": "Service civique, alternance, premier emploi : cinq jeunes Mayennais témoignent.",
     "description": "Pourquoi choisir une association ou une coopérative pour débuter ? Cinq jeunes "
     "partagent leur parcours et répondent à vos questions. Un temps réservé aux étudiant·es en "
     "recherche de stage clôt la rencontre.",
     "venue": ("Campus de Laval, amphithéâtre B", "25 rue du Mans", "53000", "Laval", "53"),
     "audiences": [A.JEUNES, A.ETUDIANTS], "capacity": 80, "fill": 14,
     "themes": ["jeunesse-education", "emploi-insertion"], "accessibility": ACCESS_PMR,
     "categories": [P.ETUDIANT, P.ETUDIANT, P.ETUDIANT, P.GRAND_PUBLIC]},
    {"org": "apess-53", "kind": K.INTERVENTION_SCOLAIRE, "day": 4, "start": (10, 0), "end": (12, 0),
     "title": "Découvrir l'ESS au collège",
     "summary": "Jeu de rôle « Crée ta coopérative » pour les classes de 4e et de 3e.",
     "description": "En deux heures, les élèves imaginent une entreprise collective et en votent les "
     "statuts. Inscription par l'enseignant·e, pour toute la classe.",
     "venue": ("Collège Jules-Renard", "6 rue Jules-Renard", "53000", "Laval", "53"),
     "audiences": [A.SCOLAIRES], "capacity": 90, "max_seats": 30,
     "groups": [("Collège Jules-Renard, 4e B", 28), ("Collège Jules-Renard, 3e A", 26),
                ("Collège Fernand-Puech, 3e C", 24)],
     "themes": ["jeunesse-education"]},
    # --- Manche: pôle ESS de Coutances ---
    {"org": "pole-ess-coutances", "kind": K.PLENIERE, "day": 12, "start": (14, 0), "end": (17, 0),
     "title": "Réunion plénière du pôle ESS du Pays de Coutances",
     "summary": "Bilan de l'année, projets coopératifs 2027 et élection du comité de pilotage.",
     "description": "Membres et partenaires du pôle se retrouvent pour faire le point sur les "
     "chantiers en cours : légumerie solidaire, garage associatif, tiers-lieu de Saint-Sauveur. "
     "La réunion est ouverte aux structures qui souhaitent rejoindre le pôle.",
     "venue": ("Salle des Unelles", "Rue Saint-Maur", "50200", "Coutances", "50"),
     "geo": (49.0478, -1.4453), "audiences": [A.PROFESSIONNELS, A.ELUS], "capacity": 70, "fill": 16,
     "closes": (1, 12, 0), "themes": ["cooperation", "territoires"], "accessibility": ACCESS_GROUND,
     "categories": [P.SALARIE_ESS, P.BENEVOLE, P.ELU, P.COLLECTIVITE]},
    {"org": "pole-ess-coutances", "kind": K.ATELIER, "day": 19, "start": (18, 0), "end": (20, 30),
     "title": "Atelier : monter un tiers-lieu en milieu rural",
     "summary": "Modèle économique, gouvernance, lien avec la commune : méthode et retours d'expérience.",
     "description": "Animé par deux fondatrices de tiers-lieux manchois, l'atelier alterne apports "
     "et travail en petits groupes sur vos projets. Venez avec vos questions !",
     "venue": ("Tiers-lieu La Fabrik", "12 rue du Pont-de-Soulles", "50200", "Coutances", "50"),
     "audiences": [A.PROFESSIONNELS, A.GRAND_PUBLIC], "capacity": 20, "fill": 12,
     "themes": ["territoires"], "accessibility": ACCESS_GROUND},
    # --- Visits: a Scop and a ressourcerie ---
    {"org": "scop-imprimerie-anjou", "kind": K.VISITE, "day": 6, "start": (14, 0), "end": (16, 0),
     "title": "Visite de la Scop L'Imprimerie Solidaire d'Anjou",
     "summary": "Des presses offset à l'assemblée des associé·es : une Scop de l'intérieur.",
     "description": "Les salarié·es-associé·es vous font visiter l'atelier et expliquent le "
     "fonctionnement d'une Scop : une personne, une voix, et des bénéfices d'abord mis en réserve. "
     "Chaussures fermées obligatoires dans l'atelier.",
     "venue": ("L'Imprimerie Solidaire d'Anjou", "17 rue de la Gare", "49100", "Angers", "49"),
     "geo": (47.4650, -0.5560), "audiences": [A.GRAND_PUBLIC, A.ETUDIANTS, A.ENTREPRISES],
     "capacity": 15, "fill": "full", "waitlist": True, "waitlisted": 4, "closes": (2, 18, 0),
     "themes": ["cooperation"], "accessibility": ACCESS_PARTIAL},
    {"org": "scop-imprimerie-anjou", "kind": K.TEMOIGNAGES, "day": 22, "start": (18, 0), "end": (20, 0),
     "status": EventStatus.SUBMITTED,
     "title": "Témoignages : transmettre son entreprise à ses salarié·es",
     "summary": "Dirigeant·es partant à la retraite et repreneurs en Scop racontent leur transmission.",
     "description": "Chaque année, des entreprises saines ferment faute de repreneur. Deux cédants et "
     "deux équipes de repreneurs expliquent comment la transformation en Scop a sauvé leurs emplois.",
     "venue": ("L'Imprimerie Solidaire d'Anjou", "17 rue de la Gare", "49100", "Angers", "49"),
     "audiences": [A.ENTREPRISES, A.PROFESSIONNELS], "capacity": 40},
    {"org": "ressourcerie-alencon", "kind": K.VISITE, "day": 5, "start": (14, 0), "end": (16, 0),
     "title": "Visite de la ressourcerie La Fabrique à Réemploi",
     "summary": "Suivez le parcours d'un objet, de la collecte à la boutique solidaire.",
     "description": "Quai de collecte, ateliers de tri et de réparation, boutique : l'équipe vous "
     "montre comment quatre cents tonnes d'objets par an retrouvent une seconde vie.",
     "venue": ("La Fabrique à Réemploi", "45 route de Mamers", "61000", "Alençon", "61"),
     "geo": (48.4420, 0.1050), "audiences": [A.GRAND_PUBLIC, A.SCOLAIRES], "capacity": 20, "fill": 11,
     "max_seats": 3, "themes": ["economie-circulaire"], "accessibility": ACCESS_GROUND},
    {"org": "ressourcerie-alencon", "kind": K.ATELIER, "day": 13, "start": (14, 0), "end": (17, 30),
     "in_campaign": False, "title": "Repair café de la Fabrique",
     "summary": "Petit électroménager, vélos, vêtements : on répare ensemble, gratuitement.",
     "description": "Des bénévoles bricoleurs vous aident à diagnostiquer et réparer vos objets. "
     "Entrée libre, sans inscription ; apportez l'objet et ses accessoires.",
     "venue": ("La Fabrique à Réemploi", "45 route de Mamers", "61000", "Alençon", "61"),
     "audiences": [A.GRAND_PUBLIC], "registration_required": False, "themes": ["economie-circulaire"],
     "accessibility": ACCESS_GROUND},
    # --- Normandie: the mutuelle ---
    {"org": "mutuelle-solidaire-ouest", "kind": K.CONFERENCE, "day": 11, "start": (18, 0), "end": (20, 0),
     "title": "Conférence : la santé mentale au travail dans l'ESS",
     "summary": "Sens au travail, surcharge, épuisement bénévole : une psychologue du travail fait le point.",
     "description": "Les métiers de l'ESS ont du sens, mais ils exposent aussi à l'épuisement. "
     "Une psychologue du travail et le directeur d'une association d'aide à domicile présentent des "
     "outils de prévention concrets.",
     "venue": ("Amphithéâtre de la Maison de la Mutualité", "22 rue Saint-Jean", "14000", "Caen", "14"),
     "geo": (49.1810, -0.3600), "audiences": [A.PROFESSIONNELS, A.GRAND_PUBLIC], "capacity": 150,
     "fill": 16, "themes": ["sante-social"], "accessibility": ACCESS_PMR},
    # --- Centre-Val de Loire ---
    {"org": "berry-insertion", "kind": K.VISITE, "day": 7, "start": (10, 0), "end": (12, 0),
     "title": "Portes ouvertes du chantier de réemploi des matériaux",
     "summary": "Découvrez les métiers de la déconstruction et les parcours d'insertion proposés.",
     "description": "Salarié·es en parcours et encadrant·es techniques présentent l'atelier de "
     "réemploi. Une conseillère en insertion répond aux questions des personnes en recherche "
     "d'emploi.",
     "venue": ("Berry Réemploi Insertion", "9 rue de la Société-Française", "18100", "Vierzon", "18"),
     "geo": (47.2220, 2.0690), "audiences": [A.DEMANDEURS_EMPLOI, A.GRAND_PUBLIC], "capacity": 25,
     "fill": 8, "themes": ["emploi-insertion", "economie-circulaire"], "accessibility": ACCESS_GROUND,
     "categories": [P.GRAND_PUBLIC, P.AUTRE, P.COLLECTIVITE]},
    {"org": "berry-insertion", "kind": K.FORUM, "day": 14, "start": (9, 30), "end": (16, 30),
     "title": "Forum emploi et insertion de l'ESS du Cher",
     "summary": "Trente employeurs de l'ESS recrutent : venez avec votre CV.",
     "description": "Entreprises d'insertion, associations d'aide à domicile et Esat présentent leurs "
     "offres. Entrée libre toute la journée, ateliers CV le matin.",
     "venue": ("Halle au Blé", "Place de la Nation", "18000", "Bourges", "18"),
     "geo": (47.0810, 2.3988), "audiences": [A.DEMANDEURS_EMPLOI, A.JEUNES],
     "registration_required": False, "themes": ["emploi-insertion"], "accessibility": ACCESS_PMR},
    {"org": "berry-insertion", "kind": K.INTERVENTION_SCOLAIRE, "day": 16, "start": (9, 0), "end": (11, 0),
     "title": "L'insertion par l'activité économique expliquée aux lycéen·nes",
     "summary": "Intervention en classe de terminale professionnelle, avec un salarié en parcours.",
     "description": "Qu'est-ce qu'une entreprise d'insertion ? Un encadrant et un salarié en parcours "
     "répondent aux questions des élèves. Inscription d'une classe entière par l'enseignant·e.",
     "venue": ("Lycée professionnel Édouard-Vaillant", "41 bis rue Charles-Hurvoy", "18100", "Vierzon", "18"),
     "audiences": [A.SCOLAIRES, A.JEUNES], "capacity": 60, "max_seats": 30,
     "groups": [("Lycée Édouard-Vaillant, Tle Bac pro", 22), ("Lycée Édouard-Vaillant, 1re CAP", 14)],
     "themes": ["jeunesse-education", "emploi-insertion"]},
    {"org": "beauce-solidaire", "kind": K.TABLE_RONDE, "day": 9, "start": (18, 30), "end": (20, 30),
     "title": "Table ronde : l'ESS, une chance pour les territoires ruraux",
     "summary": "Épiceries solidaires, transport à la demande : élu·es et associations débattent.",
     "description": "En Beauce comme ailleurs, des associations répondent aux besoins que le marché "
     "délaisse. Maires, responsables associatifs et habitant·es débattent des conditions de réussite.",
     "venue": ("Salle Doussineau, Forum de la Madeleine", "Place de la Madeleine", "28000", "Chartres", "28"),
     "geo": (48.4556, 1.4702), "audiences": [A.ELUS, A.GRAND_PUBLIC], "capacity": 80, "fill": 12,
     "themes": ["territoires"], "accessibility": ACCESS_PMR,
     "categories": [P.ELU, P.GRAND_PUBLIC, P.BENEVOLE, P.COLLECTIVITE]},
    {"org": "beauce-solidaire", "kind": K.EXPOSITION, "day": 1, "start": (10, 0), "end_day": 13,
     "end": (18, 0), "title": "Exposition « Cent visages de l'ESS en Eure-et-Loir »",
     "summary": "Portraits photographiques de bénévoles et de salarié·es de l'ESS euréliens.",
     "description": "Le photographe Antoine Brossard a suivi pendant un an des femmes et des hommes "
     "qui font vivre l'ESS dans le département. Exposition visible aux heures d'ouverture de la "
     "médiathèque, entrée libre.",
     "venue": ("Médiathèque L'Apostrophe", "1 boulevard Maurice-Viollette", "28000", "Chartres", "28"),
     "geo": (48.4469, 1.4840), "audiences": [A.GRAND_PUBLIC, A.SCOLAIRES], "registration_required": False,
     "themes": ["territoires"], "accessibility": ACCESS_PMR},
    {"org": "ville-chateauroux", "kind": K.FORUM, "day": 18, "start": (10, 0), "end": (17, 0),
     "title": "Forum de l'engagement et de l'ESS",
     "summary": "Bénévolat, service civique, emploi : 40 associations castelroussines tiennent stand.",
     "description": "Vous cherchez à vous engager ou à changer de métier ? Les associations et "
     "entreprises de l'ESS de Châteauroux tiennent stand toute la journée. Entrée libre.",
     "venue": ("Salle Barbillat-Touraine", "Place de la République", "36000", "Châteauroux", "36"),
     "geo": (46.8103, 1.6913), "audiences": [A.GRAND_PUBLIC, A.JEUNES, A.DEMANDEURS_EMPLOI],
     "registration_required": False, "themes": ["emploi-insertion"], "accessibility": ACCESS_GROUND},
    {"org": "ville-chateauroux", "kind": K.CONFERENCE, "day": 12, "start": (18, 30), "end": (20, 30),
     "status": EventStatus.CANCELLED,
     "cancel": "L'intervenante ne peut être présente ; la conférence est reportée au printemps. "
     "Les personnes inscrites ont été prévenues par courriel.",
     "title": "Conférence : manger local et solidaire dans l'Indre",
     "summary": "Circuits courts, restauration collective et épiceries solidaires : où en est-on ?",
     "description": "Une chercheuse en géographie et des producteurs de l'Indre présentent les "
     "initiatives qui rapprochent agriculture locale et alimentation pour toutes et tous.",
     "venue": ("Salle du Boisniard", "Boulevard de Marins", "36100", "Issoudun", "36"),
     "audiences": [A.GRAND_PUBLIC, A.ELUS], "capacity": 100, "fill": 6,
     "themes": ["transition-ecologique"], "accessibility": ACCESS_GROUND},
    {"org": "fondation-val-de-loire", "kind": K.CONFERENCE, "day": 8, "start": (18, 30), "end": (21, 30),
     "title": "Conférence-dîner : mécénat de compétences et ESS",
     "summary": "Entreprises et associations tourangelles : comment donner du temps plutôt que de l'argent.",
     "description": "La Fondation réunit dirigeant·es d'entreprise et responsables associatifs pour "
     "présenter trois partenariats réussis de mécénat de compétences. La conférence est aussi "
     "retransmise en ligne ; le dîner qui suit est réservé aux participant·es sur place.",
     "venue": ("Hôtel Goüin", "25 rue du Commerce", "37000", "Tours", "37"),
     "geo": (47.3941, 0.6848), "online_url": "https://visio.exemple.org/fvls-mecenat",
     "audiences": [A.ENTREPRISES, A.PROFESSIONNELS], "capacity": 80, "max_seats": 2, "fill": 16,
     "closes": (2, 12, 0), "is_free": False,
     "price": "25 € dîner compris ; 10 € pour les étudiant·es et demandeur·ses d'emploi ; "
     "retransmission en ligne gratuite.",
     "themes": ["finance-solidaire"], "accessibility": ACCESS_PARTIAL,
     "categories": [P.ENTREPRISE, P.ENTREPRISE, P.SALARIE_ESS, P.BENEVOLE]},
    {"org": "fondation-val-de-loire", "kind": K.AUTRE, "day": 14, "start": (10, 0), "end": (12, 0),
     "title": "Balade découverte de l'ESS dans le Vieux-Tours",
     "summary": "Deux heures à pied, de la librairie coopérative à la recyclerie du quartier Plumereau.",
     "description": "Une guide bénévole vous emmène à la rencontre de six structures de l'ESS du "
     "centre historique. Chaque étape est l'occasion d'un court échange avec l'équipe sur place.",
     "venue": ("Départ place Plumereau", "Place Plumereau", "37000", "Tours", "37"),
     "geo": (47.3952, 0.6820), "audiences": [A.GRAND_PUBLIC], "capacity": 25, "max_seats": 3,
     "fill": 18, "themes": ["territoires"],
     "accessibility": "Parcours pavé d'environ 2 km ; contactez-nous pour un itinéraire adapté."},
    {"org": "collectif-ess-41", "kind": K.ATELIER, "day": 13, "start": (18, 0), "end": (20, 30),
     "title": "Atelier : créer son association, mode d'emploi",
     "summary": "Statuts, assurance, premiers financements : un atelier pratique pour se lancer.",
     "description": "Une juriste du Collectif présente les étapes de création d'une association, "
     "puis chacun·e avance sur son projet. Modèles de statuts fournis.",
     "venue": ("Maison des associations", "1 avenue de Vendôme", "41000", "Blois", "41"),
     "geo": (47.5861, 1.3359), "audiences": [A.GRAND_PUBLIC, A.JEUNES], "capacity": 20, "fill": 10,
     "themes": ["cooperation"], "accessibility": ACCESS_GROUND,
     "categories": [P.GRAND_PUBLIC, P.BENEVOLE, P.ETUDIANT]},
    {"org": "collectif-ess-41", "kind": K.CINE_DEBAT, "day": 18, "start": (20, 0), "end": (22, 30),
     "title": "Ciné-débat : « Demain »",
     "summary": "Le film de Cyril Dion et Mélanie Laurent, puis un débat avec des initiatives vendômoises.",
     "description": "Dix ans après sa sortie, « Demain » inspire toujours. La projection est suivie "
     "d'un échange avec une monnaie locale, une AMAP et une coopérative d'énergie citoyenne.",
     "venue": ("Cinéma Le Ronsard", "Place de la Liberté", "41100", "Vendôme", "41"),
     "geo": (47.7930, 1.0656), "audiences": [A.GRAND_PUBLIC], "capacity": 150, "max_seats": 4,
     "fill": 28, "themes": ["transition-ecologique"], "accessibility": ACCESS_PMR},
    {"org": "collectif-ess-41", "kind": K.ATELIER, "day": 25, "start": (19, 0), "end": (22, 0),
     "status": EventStatus.DRAFT, "title": "Soirée jeux coopératifs",
     "summary": "Découvrir la coopération en jouant : une soirée pour tous les âges.",
     "description": "Des jeux où l'on gagne ensemble ou pas du tout. Programme en cours de préparation.",
     "venue": ("Maison des associations", "1 avenue de Vendôme", "41000", "Blois", "41"),
     "audiences": [A.GRAND_PUBLIC, A.JEUNES], "capacity": 40},
    {"org": "maison-ess-loiret", "kind": K.INTERVENTION_SCOLAIRE, "day": 11, "start": (9, 30),
     "end": (11, 30), "title": "Mon ESS à l'École : créer une coopérative en classe",
     "summary": "Lancement de l'année pour deux classes qui vont créer leur propre entreprise de l'ESS.",
     "description": "Les élèves découvrent les principes de l'ESS et choisissent le projet de leur "
     "mini-entreprise. Intervention complète : les deux classes inscrites remplissent la salle.",
     "venue": ("Collège Jean-Rostand", "1 rue du Colonel-O'Neil", "45000", "Orléans", "45"),
     "audiences": [A.SCOLAIRES], "capacity": 60, "max_seats": 30,
     "groups": [("Collège Jean-Rostand, 4e A", 30), ("Collège Jean-Rostand, 4e D", 30)],
     "themes": ["jeunesse-education", "cooperation"]},
    {"org": "maison-ess-loiret", "kind": K.ATELIER, "day": 20, "start": (9, 30), "end": (12, 30),
     "title": "Atelier : la gouvernance partagée en pratique",
     "summary": "Prise de décision par consentement, élection sans candidat : on s'entraîne.",
     "description": "Un atelier participatif pour les équipes salariées et bénévoles qui veulent "
     "partager davantage les décisions. Nombre de places limité pour permettre les mises en situation.",
     "venue": ("Maison de l'ESS du Loiret", "3 rue Sainte-Catherine", "45000", "Orléans", "45"),
     "geo": (47.9010, 1.9060), "audiences": [A.PROFESSIONNELS], "capacity": 20, "fill": 9,
     "closes": (3, 18, 0), "themes": ["cooperation"], "accessibility": ACCESS_PMR,
     "categories": [P.SALARIE_ESS, P.BENEVOLE]},
]  # fmt: skip

FIRST_NAMES = [
    "Camille", "Léa", "Manon", "Chloé", "Inès", "Jade", "Louise", "Emma", "Sarah", "Juliette",
    "Anne", "Isabelle", "Nathalie", "Sophie", "Martine", "Élodie", "Aurélie", "Gaëlle", "Maëlys", "Nora",
    "Lucas", "Hugo", "Louis", "Gabriel", "Arthur", "Nathan", "Théo", "Maxime", "Antoine", "Julien",
    "Nicolas", "Philippe", "Olivier", "Stéphane", "Thierry", "Jérôme", "Erwan", "Yannick", "Mehdi",
    "Jean-Baptiste",
]  # fmt: skip
LAST_NAMES = [
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
    "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "Fournier", "Girard", "Bonnet", "Rousseau",
    "Blanchard", "Guérin", "Chevalier", "Lemoine", "Gautier", "Perrin", "Morin", "Renaud", "Brunet",
    "Hamon", "Le Gall", "Lebreton", "Poirier", "Chauvin", "Marchand", "Besnard", "Huet", "Pichon",
    "Benoît", "Diallo", "Nguyen",
]  # fmt: skip
EMAIL_DOMAINS = ["exemple.fr", "example.org"]

# Where registrants come from, by category.
STRUCTURES: dict[str, list[str]] = {
    "ess": ["Restos du Cœur", "Secours populaire", "Scop Ty Bois", "Esat Les Ateliers du Maine",
            "ADMR", "Emmaüs", "Recyclerie du Bocage", "Crèche parentale Les P'tits Loups",
            "Biocoop Le Grenier", "Coopérative d'activité Ozon"],
    "entreprise": ["Crédit Coopératif", "Atelier Morel", "Boulangerie Hamon", "Transports Gautier",
                   "Cabinet Lefort Conseil", "Menuiserie Brunet"],
    "collectivite": ["Mairie de Laval", "Conseil départemental de la Sarthe", "Le Mans Métropole",
                     "Communauté de communes du Pays de Coutances", "Mairie de Chartres"],
    "presse": ["Ouest-France", "Le Courrier de la Mayenne", "La Nouvelle République"],
}  # fmt: skip
