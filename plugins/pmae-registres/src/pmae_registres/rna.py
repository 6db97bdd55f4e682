"""Associations from the RNA open-data extract (``rna_waldec_*.csv``, Ministère de l'Intérieur).

The extract is one CSV per département (or one for France), ``;``-separated, in UTF-8 or in
Latin-1 (older releases): the encoding is detected. Only active associations are kept
(``position`` ``A``; ``D`` dissolved and ``S`` deleted ones are skipped). The columns about
people — the director's civility (``dir_civilite``), the management address and the name of
its declarant (``adrg_*``), phone, e-mail and the free-text ``observation`` — are dropped as
the file is read and never stored.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Final

from pmae.io.csv_reader import detect_encoding
from pmae.issues import Issue
from pmae.model import Association
from pmae.plugins import ImportContext, ImportResult

from pmae_registres.common import LOST, RNA, Found, Place, check_siret, commune, run_import

if TYPE_CHECKING:
    from pmae.sessions import Session

NAME: Final = "rna"

#: The columns of ``rna_waldec`` (data.gouv.fr, "Répertoire National des Associations").
COLUMNS: Final = (
    "id", "id_ex", "siret", "rup_mi", "gestion", "date_creat", "date_decla", "date_publi",
    "date_disso", "nature", "groupement", "titre", "titre_court", "objet", "objet_social1",
    "objet_social2", "adrs_complement", "adrs_numvoie", "adrs_repetition", "adrs_typevoie",
    "adrs_libvoie", "adrs_distrib", "adrs_codeinsee", "adrs_codepostal", "adrs_libcommune",
    "adrg_declarant", "adrg_complemid", "adrg_complemgeo", "adrg_libvoie", "adrg_distrib",
    "adrg_codepostal", "adrg_achemine", "adrg_pays", "dir_civilite", "telephone", "siteweb",
    "email", "publiweb", "observation", "position", "maj_time",
)
#: What this importer needs; the other columns may be missing.
REQUIRED: Final = ("id", "titre", "position")
#: Personal data: dropped from each row before anything else reads it.
PERSONAL: Final = frozenset({
    "dir_civilite", "adrg_declarant", "adrg_complemid", "adrg_complemgeo", "adrg_libvoie",
    "adrg_distrib", "adrg_codepostal", "adrg_achemine", "adrg_pays", "telephone", "email",
    "observation",
})
#: The extract's "no date".
NO_DATE: Final = "0001-01-01"


def read_rna(path: Path, options: Mapping[str, str], context: ImportContext) -> ImportResult:
    """The ``rna`` importer, with the run's session (its context)."""
    return import_rna(path, options, session=context.session, context=context)


def import_rna(path: Path, options: Mapping[str, str], *,
               session: Session | None = None,
               context: ImportContext | None = None) -> ImportResult:
    """Active associations of an RNA extract, as a new bundle or enriching
    ``options["bundle"]``; each skipped row and lost value is an issue with its row and
    column."""
    return run_import(path, options, _read, session=session, context=context,
                      default_name="Répertoire national des associations")


def _read(path: Path, slug: str, session: Session) -> tuple[list[Found], list[Issue]]:
    reader = _Reader(slug, session, str(path))
    try:
        with path.open(encoding=detect_encoding(path), newline="") as handle:
            found = list(reader.rows(handle))
    except OSError as error:
        return [], [Issue(code="file-not-found", file=str(path),
                          message=error.strerror or str(error))]
    return found, reader.issues


class _Reader:
    def __init__(self, slug: str, session: Session, file: str) -> None:
        self.slug = slug
        self.session = session
        self.file = file
        self.issues: list[Issue] = []

    def error(self, message: str, *, row: int, hint: str | None = None) -> None:
        self.issues.append(Issue(code="invalid-csv", message=message, file=self.file,
                                 line=row, hint=hint))

    def rows(self, handle: IO[str]) -> Iterator[Found]:
        reader = csv.reader(handle, delimiter=";")
        try:
            header = [name.strip().lower() for name in next(reader, [])]
        except csv.Error as error:
            self.error(f"not a CSV file: {error}", row=1)
            return
        missing = [name for name in REQUIRED if name not in header]
        if missing:
            self.error(f"column(s) {', '.join(missing)} missing: this is not an rna_waldec "
                       "extract", row=1, hint="the header must name the extract's columns: "
                       + ";".join(COLUMNS[:5]) + ";…")
            return
        row = 1
        try:
            for row, cells in enumerate(reader, start=2):
                if not cells:
                    continue
                if len(cells) != len(header):
                    self.error(f"{len(cells)} cells where the header has {len(header)}",
                               row=row, hint="check the quoting of the row (a ; inside a "
                               "text must be in a quoted cell)")
                    continue
                values = {name: value.strip() for name, value in zip(header, cells, strict=True)
                          if name not in PERSONAL}
                found = self.row(values, Place(file=self.file, row=row))
                if found is not None:
                    yield found
        except csv.Error as error:
            self.error(f"not valid CSV: {error}", row=row + 1)

    def row(self, values: Mapping[str, str], place: Place) -> Found | None:
        rna = values["id"]
        if values["position"] != "A":
            self.issues.append(place.at("position").issue(
                "registres:skipped", f"position {values['position'] or '(empty)'} is not an "
                "active association (A); skipped", severity="info"))
            return None
        if not RNA.match(rna):
            self.issues.append(place.at("id").issue(
                "registres:bad-identifier", f"RNA {rna!r} is not W and 9 characters; row "
                "skipped"))
            return None
        name = " ".join(values["titre"].split())
        if not name:
            self.issues.append(place.at("titre").issue(
                "registres:skipped", "no name (titre); skipped"))
            return None
        siret_text = values.get("siret", "")
        siret = (check_siret(siret_text, None, place.at("siret"), self.issues)
                 if siret_text and siret_text.strip("0") else None)
        code = values.get("adrs_codeinsee", "")
        association = Association(
            id=f"{self.slug}:{rna}", name=name[:300], rna=rna,
            siren=siret[:9] if siret else None, siret=siret,
            commune=commune(code, place.at("adrs_codeinsee"), self.session, self.issues)
            if code else None,
            founded=self.date(values.get("date_creat", ""), place.at("date_creat")))
        return Found(association=association, place=place)

    def date(self, value: str, place: Place) -> dt.date | None:
        if not value or value == NO_DATE:
            return None
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            self.issues.append(place.issue(LOST,
                                           f"{value!r} is not a date: not imported"))
            return None
