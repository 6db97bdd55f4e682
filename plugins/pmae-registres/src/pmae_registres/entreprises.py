"""Associations from a response of the business registry's search API (``recherche-entreprises``).

The file is the JSON that ``https://recherche-entreprises.api.gouv.fr/search`` returns
(``{"results": [...], "total_results": …}``), or a bare array of its results. Only
associations are kept: legal form (``nature_juridique``) ``92xx``; other units, and units that
have ceased (``etat_administratif`` ``C``), are reported as skipped. The registry's size bands
are INSEE's, which pmae's are. The people the API lists (``dirigeants``, elected members of a
local authority) are never read.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import attrs
from pmae.io.files import DocumentError, read_document
from pmae.issues import Issue
from pmae.model import Association
from pmae.plugins import ImportContext, ImportResult

from pmae_registres.common import (
    LOST,
    RNA,
    Found,
    Place,
    check_siren,
    check_siret,
    commune,
    run_import,
)
from pmae_registres.online import identifiers, lookup

if TYPE_CHECKING:
    from pmae.sessions import Session

NAME: Final = "recherche-entreprises"
_HINT: Final = 'give the JSON of /search as the API returned it: {"results": [...], …}'

#: NAF (APE) code prefixes -> pmae sector, for the activities that name one. Most associations
#: are ``94.99Z`` ("autres organisations fonctionnant par adhésion volontaire"), which names
#: none: they get no sector rather than ``autre``. Longest prefix first.
NAF_SECTORS: Final[Mapping[str, str]] = {
    "88.10A": "aide_domicile",
    "93.1": "sport",
    "93.2": "loisirs_vie_sociale",
    "90.0": "culture",
    "91.0": "culture",
    "85.": "enseignement_formation",
    "86.": "sante",
    "87.": "action_sociale_medico_sociale",
    "88.": "action_sociale_medico_sociale",
}

#: IDCC codes that are not an agreement: 9999 "sans convention collective", 9998 "convention
#: non encore en vigueur" (the DSN's conventions).
NO_AGREEMENT: Final = frozenset({"9998", "9999"})


def read_entreprises(path: Path, options: Mapping[str, Any],
                     context: ImportContext) -> ImportResult:
    """The ``recherche-entreprises`` importer, with the run's session (its context)."""
    return import_entreprises(path, options, session=context.session, context=context)


def import_entreprises(path: Path, options: Mapping[str, Any], *,
                       session: Session | None = None,
                       context: ImportContext | None = None) -> ImportResult:
    """Associations of a ``recherche-entreprises`` response, as a new bundle or enriching
    ``options["bundle"]``; every skipped unit and lost value is an issue with its JSON path.

    ``options["online"]`` is a bool (pmae converts the declared option), or ``"yes"`` /
    ``"no"`` when this is called directly.
    """
    online = options.get("online", False)
    if isinstance(online, str) and online in ("yes", "no"):
        online = online == "yes"
    if not isinstance(online, bool):
        return ImportResult(document=None, issues=(Issue(
            code="registres:bad-option", message=f"online={online!r}: give yes or no",
            hint="online=yes reads PATH as a list of SIREN, SIRET or RNA numbers to look up"),))
    return run_import(path, options, _read_online if online else _read,
                      default_name="Registre des entreprises", session=session,
                      extra=("online",), context=context)


def _read_online(path: Path, slug: str, session: Session) -> tuple[list[Found], list[Issue]]:
    wanted, issues = identifiers(path)
    if issues:
        return [], issues  # a wrong list costs no request
    answers, issues = lookup(path, wanted)
    reader = _Reader(slug, session)
    found = [item for unit, line in answers
             if (item := reader.unit(unit, Place(file=str(path), row=line)))]
    return found, [*issues, *reader.issues]


def _read(path: Path, slug: str, session: Session) -> tuple[list[Found], list[Issue]]:
    try:
        data = read_document(path).data
    except DocumentError as error:
        return [], [attrs.evolve(error.issue, hint=_HINT)]
    results = data.get("results") if isinstance(data, dict) else data
    base_path = "$.results" if isinstance(data, dict) else "$"
    if not isinstance(results, list):
        return [], [Issue(code="registres:not-results", file=str(path), path=base_path,
                          message="this JSON is not a recherche-entreprises response",
                          hint=_HINT)]
    reader = _Reader(slug, session)
    found = [item for index, unit in enumerate(results)
             if (item := reader.unit(unit, Place(file=str(path), path=f"{base_path}[{index}]")))]
    return found, reader.issues


class _Reader:
    def __init__(self, slug: str, session: Session) -> None:
        self.slug = slug
        self.session = session
        self.issues: list[Issue] = []

    def text(self, record: Mapping[str, Any], field: str, place: Place) -> str | None:
        value = record.get(field)
        if value is None or value == "":
            return None
        if isinstance(value, str):
            return value.strip() or None
        self.issues.append(place.at(field).issue(
            "wrong-type", f"{field} must be a string, got {type(value).__name__}",
            severity="error"))
        return None

    def object(self, unit: Mapping[str, Any], field: str, place: Place) -> Mapping[str, Any]:
        """A nested object of a result (``siege``, ``complements``); empty when absent."""
        value = unit.get(field)
        if value is not None and not isinstance(value, dict):
            self.issues.append(place.at(field).issue(
                "wrong-type", f"{field} must be an object, got {type(value).__name__}",
                severity="error"))
        return value if isinstance(value, dict) else {}

    def unit(self, unit: Any, place: Place) -> Found | None:
        if not isinstance(unit, dict):
            self.issues.append(place.issue("wrong-type", "a result is a JSON object",
                                           severity="error"))
            return None
        siren_text = self.text(unit, "siren", place)
        nature = self.text(unit, "nature_juridique", place)
        if siren_text is None:
            if unit.get("siren") not in (None, ""):
                return None  # the wrong type is reported
            self.issues.append(place.at("siren").issue("missing-field", "siren is missing",
                                                       severity="error"))
            return None
        if nature is None or not re.fullmatch(r"92[0-9]{2}", nature):
            self.issues.append(place.at("nature_juridique").issue(
                "registres:skipped", f"legal form {nature or '(none)'} is not an "
                "association's (92xx); skipped", severity="info"))
            return None
        if self.text(unit, "etat_administratif", place) == "C":
            self.issues.append(place.at("etat_administratif").issue(
                "registres:skipped", "the unit has ceased (C); skipped", severity="info"))
            return None
        siren = check_siren(siren_text, place.at("siren"), self.issues)
        name = self.text(unit, "nom_complet", place) or self.text(unit, "nom_raison_sociale",
                                                                  place)
        if siren is None or name is None:
            if name is None:
                self.issues.append(place.at("nom_complet").issue(
                    "registres:skipped", "no name (nom_complet); skipped"))
            return None
        siege = self.object(unit, "siege", place)
        complements = self.object(unit, "complements", place)
        siege_place = place.at("siege")
        siret_text = self.text(siege, "siret", siege_place)
        code = self.text(siege, "commune", siege_place)
        rna = self.text(complements, "identifiant_association", place.at("complements"))
        if rna is not None and not RNA.match(rna):
            self.issues.append(place.at("complements").at("identifiant_association").issue(
                "registres:bad-identifier", f"RNA {rna!r} is not W and 9 characters: "
                "not imported"))
            rna = None
        association = Association(
            id=f"{self.slug}:{rna or siren}", name=" ".join(name.split())[:300], rna=rna,
            siren=siren,
            siret=check_siret(siret_text, siren, siege_place.at("siret"), self.issues)
            if siret_text else None,
            commune=commune(code, siege_place.at("commune"), self.session, self.issues)
            if code else None,
            size_band=self.size_band(unit, place), idcc=self.idcc(unit, siege, place),
            sector=self.sector(unit, place), founded=self.founded(unit, place))
        return Found(association=association, place=place)

    def size_band(self, unit: Mapping[str, Any], place: Place) -> str | None:
        band = self.text(unit, "tranche_effectif_salarie", place)
        vocabulary = self.session.vocabularies.get("size_bands")
        if band is None or (vocabulary is not None and band in vocabulary):
            return band
        self.issues.append(place.at("tranche_effectif_salarie").issue(
            LOST, f"size band {band!r} is not an INSEE size band: not imported"))
        return None

    def idcc(self, unit: Mapping[str, Any], siege: Mapping[str, Any],
             place: Place) -> str | None:
        complements = unit.get("complements")
        listed = siege.get("liste_idcc") or (
            complements.get("liste_idcc") if isinstance(complements, dict) else None) or []
        codes = [c for c in listed if isinstance(c, str) and re.fullmatch(r"[0-9]{4}", c)
                 and c not in NO_AGREEMENT] if isinstance(listed, list) else []
        if len(codes) > 1:
            self.issues.append(place.at("complements").at("liste_idcc").issue(
                LOST, f"several collective agreements ({', '.join(codes)}): pmae "
                f"keeps one, {codes[0]} (the head office's first)", severity="info"))
        return codes[0] if codes else None

    def sector(self, unit: Mapping[str, Any], place: Place) -> str | None:
        naf = self.text(unit, "activite_principale", place)
        if naf is None:
            return None
        sector = next((s for prefix, s in NAF_SECTORS.items() if naf.startswith(prefix)), None)
        sectors = self.session.vocabularies.get("sectors")
        return sector if sector and (sectors is None or sector in sectors) else None

    def founded(self, unit: Mapping[str, Any], place: Place) -> dt.date | None:
        value = self.text(unit, "date_creation", place)
        try:
            return dt.date.fromisoformat(value) if value else None
        except ValueError:
            self.issues.append(place.at("date_creation").issue(
                LOST, f"{value!r} is not a date: not imported"))
            return None
