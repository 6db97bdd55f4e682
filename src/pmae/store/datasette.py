"""The store in Datasette: French metadata derived from the schema, and the serving command.

:func:`metadata` writes Datasette 0.65's ``metadata.json`` for a store (or an export made by
the ``sqlite`` exporter, which has the same tables) from :mod:`pmae.store.schema`: a French
title and description for the database, every table and every column; ``label_column`` on the
label tables, the collections and the names of records (:mod:`pmae.store.names`), so
Datasette shows names instead of codes and ids (the columns and link tables point to them by
foreign key); ``fts_table``/``fts_pk`` so its search
box searches the FTS5 tables (accents folded); the facets each table opens with (themes,
stages, territories through the link tables). :func:`datasette_argv` is the command line
``pmae serve`` runs: read-only (immutable) on 127.0.0.1.
"""

from __future__ import annotations

import importlib.util
import os
import sqlite3
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote as quote_url

import orjson

from pmae.i18n import gettext as _
from pmae.store import schema
from pmae.store.names import (
    ELSEWHERE,
    NAME_COLUMNS,
    NAMES_TABLE,
    REFERENCE_COLUMNS,
    REFERENCE_LINKS,
)
from pmae.vocab import Vocabulary

if TYPE_CHECKING:
    from pmae.sessions import Session

__all__ = ["COLLECTION_TITLES", "COLUMN_DESCRIPTIONS", "SETTINGS", "DatasetteMissingError",
           "database_name", "datasette_argv", "file_facts", "metadata", "prepare_serving"]

#: What to install when Datasette is missing (the version pmae's metadata is written for).
INSTALL_HINT: Final = "pip install 'pmae[serve]' (it brings datasette 0.65)"


#: Datasette's settings pmae serves with. Suggested facets off: Datasette tries a facet on
#: every column of every page (up to 50 ms each), 0.5 s a page of 33,000 needs, and more at
#: national scale; the useful facets are opened by the metadata instead.
SETTINGS: Final[dict[str, Any]] = {"suggest_facets": False}


class DatasetteMissingError(RuntimeError):
    """Datasette is not installed; the message says how to install it."""

#: collection -> (French title, description).
COLLECTION_TITLES: Final[dict[str, tuple[str, str]]] = {
    "actors": ("Acteurs", "Les structures d'accompagnement : réseaux, DLA, maisons des "
               "associations, financeurs, collectivités…"),
    "offers": ("Offres", "Les offres d'accompagnement des acteurs, par thème, étape et "
               "territoire."),
    "associations": ("Associations", "Les petites associations employeuses accompagnées."),
    "diagnoses": ("Diagnostics", "Les diagnostics de la fonction employeur menés avec les "
                  "associations."),
    "needs": ("Besoins", "Les besoins d'accompagnement : issus d'un diagnostic, déclarés ou "
              "repérés en réunion."),
    "referrals": ("Orientations", "Les orientations d'un besoin vers une offre, et leur "
                  "suite."),
    "meetings": ("Rencontres", "Les réunions, ateliers et rencontres de la démarche."),
    "productions": ("Productions", "Les productions de la démarche (fiches, comptes rendus…)."),
    "resources": ("Ressources", "Les ressources documentaires utiles aux associations."),
    "programmes": ("Programmes", "Les programmes annuels de la démarche."),
    "responses": ("Réponses collectives", "Les réponses décidées ensemble aux besoins observés, "
                  "qui les porte et où elles en sont (plan d'action)."),
    "practices": ("Pratiques", "Les pratiques et savoir-faire repérés en rencontre ou chez un "
                  "acteur."),
}

#: column -> French description (the same name means the same thing in every table).
COLUMN_DESCRIPTIONS: Final[dict[str, str]] = {
    "rowid": "Numéro de ligne (les tables de liens et la recherche y renvoient).",
    "id": "Identifiant de l'enregistrement (préfixé par le réseau qui le publie).",
    "source": "Réseau qui publie l'enregistrement (préfixe de l'identifiant).",
    "visibility": "Visibilité : public, réseau ou destinataires.",
    "recipients": "Destinataires (réseaux, acteurs) d'un enregistrement restreint, en JSON.",
    "record": "L'enregistrement complet, en JSON, tel que publié.",
    "name": "Nom.", "title": "Intitulé.", "description": "Description.",
    "actor": "Acteur qui propose l'offre (identifiant).",
    "actor_type": "Type d'acteur.", "commune": "Commune.", "siret": "Numéro SIRET.",
    "siren": "Numéro SIREN.", "rna": "Numéro RNA (répertoire national des associations).",
    "delivery": "Modalité de réalisation.", "cost": "Coût pour l'association.",
    "valid_from": "Début de validité (date).", "valid_until": "Fin de validité (date).",
    "sector": "Secteur d'activité.", "size_band": "Tranche d'effectif salarié.",
    "headcount": "Effectif salarié.", "association": "Association concernée (identifiant).",
    "tool": "Outil de diagnostic utilisé.", "date": "Date.",
    "advisor": "Accompagnateur ou accompagnatrice (identifiant d'acteur).",
    "theme": "Thème de la fonction employeur.", "origin": "Origine du besoin.",
    "diagnosis": "Diagnostic d'où vient le besoin (identifiant).",
    "stage": "Étape de l'accompagnement.", "priority": "Priorité (1 : la plus haute).",
    "intensity": "Intensité du besoin (le nombre tel que l'enregistrement l'écrit).",
    "territory": "Territoire.", "status": "Statut.", "need": "Besoin orienté (identifiant).",
    "offer": "Offre proposée (identifiant).", "by": "Acteur qui oriente (identifiant).",
    "outcome": "Suite de l'orientation.", "kind": "Type.", "start": "Début (date et heure).",
    "end": "Fin (date et heure).", "year": "Année.",
    "meeting": "Rencontre liée (identifiant) : d'où vient la production, où la réponse a été "
               "décidée, où la pratique a été présentée.",
    "publisher": "Éditeur.",
    "collection": "Collection de l'enregistrement nommé (ou visé, s'il est hors de cette base).",
    "code": "Code (son libellé est affiché).",
    "label": "Libellé en français.", "label_en": "Libellé en anglais.",
    "level": "Niveau : fr (France), reg (région), dep (département), com (commune).",
    "parent": "Territoire englobant.",
    "programme": "Programme où la réponse a été décidée (identifiant).",
    "decided_on": "Date de la décision.", "started_on": "Début de la mise en œuvre (date).",
    "ended_on": "Fin de la mise en œuvre (date).",
}

#: list field -> French name (plural, singular), for the link tables' titles.
_FIELD_TITLES: Final = {
    "themes": ("thèmes", "thème"), "stages": ("étapes", "étape"),
    "territories": ("territoires", "territoire"),
    "size_bands": ("tranches d'effectif", "tranche d'effectif"),
    "sectors": ("secteurs", "secteur"), "formats": ("formats", "format"),
    "labels": ("labels", "label"), "networks": ("réseaux", "réseau"),
    "organisers": ("organisateurs", "organisateur"), "priorities": ("priorités", "priorité"),
    "departements": ("départements", "département"),
    "actors": ("acteurs", "acteur"), "offers": ("offres", "offre"),
}

def _columns(names: list[str], labelled: Mapping[str, str | None],
             vocabularies: Mapping[str, Vocabulary]) -> dict[str, str]:
    """French descriptions of ``names``, saying which vocabulary a code column is of."""
    described = {}
    for name in names:
        text = COLUMN_DESCRIPTIONS.get(name, "")
        table = labelled.get(name)
        vocabulary = vocabularies.get(table.removeprefix("vocabulary_")) if table else None
        if vocabulary is not None:
            text += f" Code du vocabulaire « {vocabulary.title_fr} »."
        elif table == "territories":
            text += " Code INSEE (son nom est affiché)."
        elif table == NAMES_TABLE:
            text += f" Son nom est affiché (« {ELSEWHERE} » s'il n'est pas dans ce fichier)."
        described[name] = text.strip()
    return described


def _collection_tables(vocabularies: Mapping[str, Vocabulary]) -> dict[str, dict[str, Any]]:
    tables: dict[str, dict[str, Any]] = {}
    for collection, indexed in schema.COLUMNS.items():
        title, description = COLLECTION_TITLES[collection]
        labelled = dict(indexed) | dict.fromkeys(
            (column for column, _ in REFERENCE_COLUMNS.get(collection, ())), NAMES_TABLE)
        names = ["rowid", "id", "source", "visibility", "recipients",
                 *(name for name, _ in indexed), "record"]
        table: dict[str, Any] = {
            "title": title, "description": description,
            "columns": _columns(names, labelled, vocabularies),
            # Codes with few values; a commune facet is a long list, and slow on millions.
            "facets": [name for name, target in indexed
                       if target and target != "territories"],
        }
        if collection in NAME_COLUMNS:
            table["label_column"] = NAME_COLUMNS[collection]
        if collection in schema.FULL_TEXT:
            # The FTS5 table is not an external-content table, so Datasette is told which it
            # is and that its rowid is the collection's.
            table["fts_table"] = f"{collection}_fts"
            table["fts_pk"] = "rowid"
        tables[collection] = table
        links = [(field, target) for (owner, field), target in schema.LINKS.items()
                 if owner == collection]
        if collection in schema.DEPARTEMENTS:
            links.append(("departements", "territories"))
        for field, target in links:
            tables[schema.link_table(collection, field)] = {
                "title": f"{title} × {_FIELD_TITLES[field][0]}",
                "description": (
                    f"Les départements que couvrent les territoires de chaque "
                    f"{title.lower()[:-1]} (une région : tous les siens ; une commune : le "
                    "sien), pour les facettes." if field == "departements" else
                    f"Une ligne par {title.lower()[:-1]} et par {_FIELD_TITLES[field][1]} "
                    f"({field})."),
                "columns": _columns(["record", "code"], {"code": target or (
                    NAMES_TABLE if (collection, field) in REFERENCE_LINKS else None)},
                    vocabularies)
                | {"record": f"{title[:-1]} (numéro de ligne ; son nom est affiché)."},
                "facets": ["code"],
            }
        if collection in schema.FULL_TEXT:
            fields = ", ".join(schema.FULL_TEXT[collection])
            tables[f"{collection}_fts"] = {
                "title": f"{title} : recherche plein texte",
                "description": f"Index FTS5 ({fields}), accents ignorés ; rowid est celui de "
                               f"la table {collection}.",
                "hidden": True,
            }
    return tables


def _label_tables(vocabularies: Mapping[str, Vocabulary]) -> dict[str, dict[str, Any]]:
    tables: dict[str, dict[str, Any]] = {}
    for table in schema.VOCABULARY_TABLES:
        vocabulary = vocabularies.get(table.removeprefix("vocabulary_"))
        title = vocabulary.title_fr if vocabulary is not None else table
        tables[table] = {
            "title": f"Vocabulaire : {title}",
            "description": (vocabulary.description_fr if vocabulary is not None else "")
            or f"Les codes du vocabulaire « {title} » et leurs libellés.",
            "label_column": "label",
            "columns": _columns(["code", "label", "label_en"], {}, vocabularies),
        }
    tables["territories"] = {
        "title": "Territoires",
        "description": "Les territoires que nomment les enregistrements, et ceux qui les "
                       "englobent (Code officiel géographique de l'INSEE).",
        "label_column": "name",
        "columns": _columns(["code", "level", "name", "parent"], {}, vocabularies)
        | {"name": "Nom du territoire."},
        "facets": ["level"],
    }
    return tables


def _names_table() -> dict[str, Any]:
    """The table of names that references point to (:mod:`pmae.store.names`)."""
    return {NAMES_TABLE: {
        "title": "Noms des enregistrements",
        "description": "Le nom ou l'intitulé de chaque enregistrement que vise une référence "
                       "(l'acteur d'une offre, l'association d'un besoin…), pour les afficher "
                       f"à la place des identifiants ; « {ELSEWHERE} » pour un enregistrement "
                       "que ce fichier ne contient pas (d'un autre réseau, ou que son "
                       "audience ne voit pas).",
        "label_column": "name",
        "columns": {"id": COLUMN_DESCRIPTIONS["id"],
                    "collection": COLUMN_DESCRIPTIONS["collection"],
                    "name": f"Nom ou intitulé (l'identifiant pour un besoin ou un "
                            f"diagnostic ; « {ELSEWHERE} » s'il n'est pas dans ce fichier)."},
    }}


_LOG_TABLES: Final = {
    "store_meta": ("Métadonnées du store", "Version du schéma, version de pmae."),
    "publications": ("Publications", "Le journal : une ligne par `pmae publish`."),
    "publication_bundles": ("Lots publiés", "Les fichiers de chaque publication (SHA-256)."),
    "publication_sources": ("Réseaux des lots", "Les réseaux que portait chaque lot publié."),
    "sources": ("Réseaux", "La dernière publication de chaque réseau."),
    "versions": ("Versions", "Chaque version de chaque enregistrement, telle que publiée."),
}


#: licence code of a bundle -> (its name, its address), for the licences commonly used.
_LICENCES: Final = {
    "etalab-2.0": ("Licence Ouverte 2.0 (Etalab)",
                   "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"),
    "odbl-1.0": ("Open Database License (ODbL) 1.0",
                 "https://opendatacommons.org/licenses/odbl/1-0/"),
    "cc-by-4.0": ("Creative Commons Attribution 4.0",
                  "https://creativecommons.org/licenses/by/4.0/"),
}


def metadata(database: str, *, vocabularies: Mapping[str, Vocabulary],
             audience: str = "all", licence: str | None = None) -> dict[str, Any]:
    """Datasette's metadata (a JSON-ready dict) for the store or export named ``database``
    (Datasette names a database by its file name without the suffix).

    :param licence: the licence of the data (a bundle's ``licence``), shown on every page;
        none is claimed when it is not known.
    """
    tables = (_collection_tables(vocabularies) | _label_tables(vocabularies)
              | _names_table())
    tables |= {name: {"title": title, "description": description}
               for name, (title, description) in _LOG_TABLES.items()}
    title = ("Store pmae (toutes les données)" if audience == "all"
             else f"Export pmae pour l'audience « {audience} »")
    named, address = _LICENCES.get(licence or "", (licence, None))
    return {
        "title": "pmae : la démarche PMAE",
        "description": "Acteurs et offres d'accompagnement, associations employeuses, "
                       "diagnostics et besoins de la démarche PMAE.",
        **({"license": named} if named else {}),
        **({"license_url": address} if address else {}),
        "databases": {database: {
            "title": title,
            "description": "Une table par collection, une table de liens par liste "
                           "(thèmes, étapes, territoires…), les libellés des vocabulaires "
                           "et des territoires, la recherche plein texte (accents ignorés).",
            "tables": tables,
        }},
    }


def datasette_argv(path: Path, metadata_path: Path, *, port: int,
                   extra: tuple[str, ...] = ()) -> list[str]:
    """The command that serves ``path`` read-only (immutable) on 127.0.0.1:``port``."""
    return [sys.executable, "-m", "datasette", "serve", "--immutable", str(path),
            "--metadata", str(metadata_path), "--host", "127.0.0.1", "--port", str(port),
            *(part for name, value in SETTINGS.items()
              for part in ("--setting", name, str(value).lower())), *extra]


def database_name(path: Path) -> str:
    """The name Datasette gives the database in ``path``: the file name without its suffix."""
    return path.stem


def file_facts(path: Path) -> tuple[str, str | None]:
    """The audience a file is for and the licence of its data: ``store_meta``'s ``audience``
    and ``licence`` in a file the ``sqlite`` exporter wrote; ``all`` and the one licence of the
    bundles published in a store. ``("all", None)`` when the file cannot be read, and no
    licence when its bundles' differ."""
    if not path.is_file():
        return "all", None
    try:
        connection = sqlite3.connect(f"file:{quote_url(os.fspath(path))}?mode=ro", uri=True)
        try:
            meta = dict(connection.execute("SELECT key, value FROM store_meta"))
            licences = {row[0] for row in connection.execute(
                "SELECT DISTINCT coalesce(json_extract(envelope, '$.licence'), 'etalab-2.0') "
                "FROM publication_bundles")}
        finally:
            connection.close()
    except sqlite3.Error:
        return "all", None
    if "licence" in meta:
        licences = {meta["licence"]}
    return meta.get("audience", "all"), (licences.pop() if len(licences) == 1 else None)


def prepare_serving(db_path: str | os.PathLike[str] | None, folder: Path, *, audience: str,
                    session: Session) -> tuple[Path, Path]:
    """The database file to serve and its metadata file (written into ``folder``).

    For ``audience="all"`` it is the store itself, checked as every reading command checks it.
    For another audience it is an export made for it by the ``sqlite`` exporter (through the
    core's audience filter) in ``folder``: the store is never served to it.

    :raises DatasetteMissingError: Datasette is not installed.
    :raises pmae.store.StoreError: the store cannot be used.
    """
    if importlib.util.find_spec("datasette") is None:
        raise DatasetteMissingError(_("pmae serve needs Datasette: {hint}").format(
            hint=INSTALL_HINT))
    from pmae.exchange import export_bundle
    from pmae.store import open_store, store_path

    with open_store(db_path, session=session) as store:
        if audience == "all":
            served = store_path(db_path).resolve()  # a PostgreSQL store is no file: refused
        else:
            served = folder / f"{store.label}-{audience.replace(':', '-')}.sqlite"
            export_bundle(store.dump(audience=audience), "sqlite", served, audience=audience,
                          session=session)
    licence = file_facts(served)[1]
    described = folder / "metadata.json"
    described.write_bytes(orjson.dumps(
        metadata(database_name(served), vocabularies=session.vocabularies, audience=audience,
                 licence=licence), option=orjson.OPT_INDENT_2))
    return served, described
