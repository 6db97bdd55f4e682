"""French labels of the tables and their columns: the XLSX headers, the "Lisez-moi" sheet, and
headers the importers accept besides the technical names.

A column's label is looked up by its full name in its table (``meeting_speakers`` ``actor``),
then by its name alone; every column of the layout has one (tested), so a field added to a
schema fails the tests until it is given its French label.
"""

from __future__ import annotations

import unicodedata
from typing import Final

from pmae.default_plugins.csv_tables.layout import Table

#: What each table holds, in French (by table name: the CSV file without ``.csv``).
TABLE_DESCRIPTIONS: Final[dict[str, str]] = {
    "bundle": "L'enveloppe du lot : qui le publie, quand, sous quelle licence (une seule ligne).",
    "provenance": "D'où viennent les données fusionnées dans ce lot (une ligne par source).",
    "actors": "Les acteurs de l'accompagnement (DLA, réseaux, fédérations…), un par ligne.",
    "actor_contacts": "Les personnes à contacter chez chaque acteur (identifiant de l'acteur "
                      "en première colonne).",
    "offers": "Les offres d'accompagnement des acteurs, une par ligne.",
    "associations": "Les associations employeuses accompagnées, une par ligne.",
    "diagnoses": "Les diagnostics réalisés, un par ligne.",
    "diagnosis_answers": "Les réponses de chaque diagnostic, une par ligne (question, valeur, "
                         "type de la valeur).",
    "diagnosis_scores": "Les scores de chaque diagnostic, par dimension.",
    "diagnosis_levels": "Les niveaux de chaque diagnostic, par dimension.",
    "needs": "Les besoins observés, un par ligne.",
    "referrals": "Les orientations d'un besoin vers une offre, une par ligne.",
    "meetings": "Les rencontres (COFIL, ateliers, réunions…), une par ligne.",
    "meeting_speakers": "Les intervenants de chaque rencontre.",
    "meeting_workshops": "Les ateliers de chaque rencontre.",
    "meeting_registrations": "Les inscriptions des acteurs à chaque rencontre.",
    "productions": "Les productions (fiches, guides, études…), une par ligne.",
    "resources": "Les ressources documentaires, une par ligne.",
    "programmes": "Les programmes annuels, un par ligne.",
    "responses": "Les réponses collectives aux besoins (plan d'action), une par ligne.",
    "practices": "Les pratiques repérées en rencontre ou chez un acteur, une par ligne.",
}

#: Column name (in any table) -> (French label, what it holds).
_COLUMNS: Final[dict[str, tuple[str, str]]] = {
    "format_version": ("Version du format", "Version du format pmae (1.1.0)."),
    "source.slug": ("Source : identifiant", "Identifiant court du réseau qui publie "
                    "(lettres minuscules, chiffres, tirets)."),
    "source.name": ("Source : nom", "Nom du réseau qui publie."),
    "source.url": ("Source : site", "Site web du réseau qui publie (http ou https)."),
    "source.contact_email": ("Source : courriel", "Courriel de contact du réseau qui publie."),
    "generated_at": ("Date de production", "Date et heure avec fuseau, "
                     "2025-03-14T09:00:00+01:00."),
    "licence": ("Licence", "Licence des données (ex. Licence Ouverte 2.0)."),
    "description": ("Description", "Texte libre de présentation."),
    "audience": ("Public visé", "Pour qui le fichier a été exporté (public, network, "
                 "recipient:…) : à sa réimportation, ce qu'il ne contenait pas est gardé."),
    "file": ("Fichier", "Fichier d'où viennent les données."),
    "records": ("Nombre d'enregistrements", "Nombre d'enregistrements venus de cette source."),
    "id": ("Identifiant", "Identifiant unique, « source:local » (lma-ra:dla-69) ; ne pas "
           "le changer : c'est lui qui relie les feuilles entre elles."),
    "name": ("Nom", "Nom."),
    "actor_type": ("Type d'acteur", "Type d'acteur (liste déroulante)."),
    "labels": ("Labels", "Labels de l'acteur, séparés par « | »."),
    "networks": ("Réseaux", "Identifiants des réseaux dont l'acteur est membre, séparés par "
                 "« | »."),
    "territories": ("Territoires", "Territoires couverts, séparés par « | » : fr, reg:84, "
                    "dep:69, com:69123, epci:200046977."),
    "territory": ("Territoire", "Un territoire : fr, reg:84, dep:69, com:69123…"),
    "commune": ("Commune", "Code INSEE de la commune avec son niveau : com:69123."),
    "address": ("Adresse", "Adresse postale."),
    "siret": ("SIRET", "14 chiffres ; formater la colonne en Texte pour garder les chiffres."),
    "siren": ("SIREN", "9 chiffres ; formater la colonne en Texte pour garder les chiffres."),
    "rna": ("RNA", "Numéro RNA : W suivi de 9 caractères (W691012345)."),
    "website": ("Site web", "Adresse du site (http ou https)."),
    "url": ("Lien", "Adresse web (http ou https)."),
    "email": ("Courriel", "Adresse électronique professionnelle."),
    "phone": ("Téléphone", "Numéro professionnel (04 72 00 00 00)."),
    "visibility": ("Visibilité", "Qui peut voir l'enregistrement : public, network (le "
                   "réseau), restricted (les destinataires), private."),
    "recipients": ("Destinataires", "Pour « restricted » : réseaux ou acteurs qui peuvent "
                   "voir, séparés par « | »."),
    "actor_id": ("Identifiant de l'acteur", "Identifiant de l'acteur (feuille actors)."),
    "role": ("Fonction", "Fonction de la personne."),
    "actor": ("Acteur", "Identifiant de l'acteur (feuille actors)."),
    "title": ("Titre", "Titre."),
    "themes": ("Thèmes", "Thèmes, séparés par « | » (liste déroulante : un code)."),
    "theme": ("Thème", "Thème (liste déroulante)."),
    "stages": ("Étapes", "Étapes de l'accompagnement, séparées par « | »."),
    "stage": ("Étape", "Étape de l'accompagnement (liste déroulante)."),
    "size_bands": ("Tranches d'effectif", "Tranches d'effectif salarié INSEE, séparées par "
                   "« | »."),
    "size_band": ("Tranche d'effectif", "Tranche d'effectif salarié INSEE (liste déroulante)."),
    "sectors": ("Secteurs", "Secteurs d'activité, séparés par « | »."),
    "sector": ("Secteur", "Secteur d'activité (liste déroulante)."),
    "formats": ("Formats", "Formats de l'offre, séparés par « | »."),
    "delivery": ("Modalité", "Sur place, à distance ou les deux (liste déroulante)."),
    "cost": ("Coût", "Gratuit, payant… (liste déroulante)."),
    "valid_from": ("Valable du", "Premier jour de validité (date)."),
    "valid_until": ("Valable jusqu'au", "Dernier jour de validité (date)."),
    "headcount": ("Effectif salarié", "Nombre de salariés (nombre entier)."),
    "fte": ("ETP", "Équivalents temps plein (nombre, virgule décimale acceptée)."),
    "idcc": ("IDCC", "Numéro de la convention collective, 4 chiffres (1518)."),
    "founded": ("Date de création", "Date de création de l'association."),
    "association": ("Association", "Identifiant de l'association (feuille associations)."),
    "tool": ("Outil", "Identifiant de l'outil de diagnostic."),
    "tool_version": ("Version de l'outil", "Version de l'outil de diagnostic."),
    "date": ("Date", "Date (jj/mm/aaaa ou aaaa-mm-jj)."),
    "completeness": ("Complétude", "Part des questions répondues, de 0 à 1."),
    "alerts": ("Alertes", "Alertes du diagnostic, séparées par « | »."),
    "needs": ("Besoins", "Identifiants des besoins, séparés par « | »."),
    "advisor": ("Chargé·e de mission", "Identifiant de l'acteur qui a mené le diagnostic."),
    "diagnosis_id": ("Identifiant du diagnostic", "Identifiant du diagnostic (feuille "
                     "diagnoses)."),
    "question": ("Question", "Identifiant de la question."),
    "dimension": ("Dimension", "Dimension du diagnostic."),
    "value": ("Valeur", "Valeur."),
    "type": ("Type de la valeur", "number, string ou null."),
    "origin": ("Origine", "Comment le besoin a été repéré (liste déroulante)."),
    "diagnosis": ("Diagnostic", "Identifiant du diagnostic qui a relevé le besoin."),
    "priority": ("Priorité", "Priorité (nombre entier)."),
    "intensity": ("Intensité", "Intensité du besoin (nombre entier)."),
    "status": ("Statut", "Statut (liste déroulante)."),
    "need": ("Besoin", "Identifiant du besoin (feuille needs)."),
    "offer": ("Offre", "Identifiant de l'offre (feuille offers)."),
    "by": ("Orienté par", "Identifiant de l'acteur qui oriente."),
    "outcome": ("Suite donnée", "Suite donnée à l'orientation (liste déroulante)."),
    "kind": ("Type", "Type (liste déroulante)."),
    "start": ("Début", "Date et heure avec fuseau, 2025-03-14T09:00:00+01:00."),
    "end": ("Fin", "Date et heure avec fuseau, 2025-03-14T12:00:00+01:00."),
    "place": ("Lieu", "Lieu."),
    "organisers": ("Organisateurs", "Identifiants des acteurs organisateurs, séparés par "
                   "« | »."),
    "productions": ("Productions", "Identifiants des productions, séparés par « | »."),
    "meeting_id": ("Identifiant de la rencontre", "Identifiant de la rencontre (feuille "
                   "meetings)."),
    "person.name": ("Nom de la personne", "Nom de l'intervenant·e."),
    "person.role": ("Fonction de la personne", "Fonction de l'intervenant·e."),
    "person.email": ("Courriel de la personne", "Courriel professionnel de l'intervenant·e."),
    "person.phone": ("Téléphone de la personne", "Téléphone professionnel de "
                     "l'intervenant·e."),
    "organisation": ("Organisation", "Organisation de l'intervenant·e."),
    "outside": ("Extérieur au réseau", "VRAI si l'intervenant·e vient de l'extérieur."),
    "topic": ("Sujet", "Sujet de l'intervention."),
    "facilitators": ("Animateurs", "Identifiants des acteurs qui animent, séparés par « | »."),
    "room": ("Salle", "Salle."),
    "participants": ("Participants", "Nombre de participants (nombre entier)."),
    "attended": ("Présent", "VRAI si l'acteur est venu, FAUX sinon."),
    "year": ("Année", "Année (2025)."),
    "authors": ("Auteurs", "Identifiants des acteurs auteurs, séparés par « | »."),
    "resources": ("Ressources", "Identifiants des ressources, séparés par « | »."),
    "meeting": ("Rencontre", "Identifiant de la rencontre (feuille meetings)."),
    "publisher": ("Éditeur", "Qui publie la ressource."),
    "priorities": ("Priorités", "Thèmes prioritaires, séparés par « | »."),
    "meetings": ("Rencontres", "Identifiants des rencontres, séparés par « | »."),
    "actors": ("Acteurs", "Identifiants des acteurs (feuille actors), séparés par « | »."),
    "offers": ("Offres", "Identifiants des offres (feuille offers), séparés par « | »."),
    "programme": ("Programme", "Identifiant du programme (feuille programmes)."),
    "decided_on": ("Date de décision", "Date de la décision, AAAA-MM-JJ."),
    "started_on": ("Date de début", "Début de la mise en œuvre, AAAA-MM-JJ."),
    "ended_on": ("Date de fin", "Fin de la mise en œuvre, AAAA-MM-JJ."),
}

#: Labels that would repeat another column's label in the same table.
_BY_TABLE: Final[dict[tuple[str, str], tuple[str, str]]] = {
    ("offers", "url"): ("Lien vers l'offre", "Page web de l'offre (http ou https)."),
    ("diagnosis_answers", "value"): ("Réponse", "La réponse, telle que saisie."),
    ("diagnosis_scores", "value"): ("Score", "Score de la dimension (nombre)."),
    ("diagnosis_levels", "value"): ("Niveau", "Niveau atteint dans la dimension."),
}


def table_name(table: Table) -> str:
    """The table's name: its CSV file without ``.csv``, its XLSX sheet's name."""
    return table.file.removesuffix(".csv")


def column_label(table: Table, column: str) -> tuple[str, str]:
    """The French label of a column of ``table`` and what it holds.

    :raises KeyError: the column has no label (a field added to a schema without one).
    """
    return _BY_TABLE.get((table_name(table), column)) or _COLUMNS[column]


def header_key(text: str) -> str:
    """A header as compared: without accents, case, surrounding or doubled spaces."""
    bare = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in bare if not unicodedata.combining(c))
    return " ".join(bare.casefold().replace("’", "'").split())


def header_names(table: Table) -> dict[str, str]:
    """Every header ``table`` accepts, as :func:`header_key` -> the column's name: the
    technical names and the French labels."""
    names: dict[str, str] = {}
    for name in table.header():
        names[header_key(column_label(table, name)[0])] = name
    for name in table.header():
        names[header_key(name)] = name
    return names
