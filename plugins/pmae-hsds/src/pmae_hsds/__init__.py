"""pmae plugin: actors and offers as Open Referral HSDS 3.0 organizations and services.

``pmae export bundle.json --to hsds -o dossier`` writes an HSDS dataset following the pmae
profile (``https://schemas.pmae.fr/hsds/1.0/``) in one of HSDS's forms
(``--option form=json|services|tabular``); ``pmae import hsds dossier -o bundle.json`` reads
any of them back, reporting what pmae has no place for. See the README for the mapping.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Final

from pmae.issues import Issue
from pmae.model import Bundle
from pmae.plugins import (
    ExportContext,
    Exporter,
    ExportError,
    Importer,
    ImportResult,
    hookimpl,
)
from pmae.sessions import session as current_session
from pmae.territories import Territories

from pmae_hsds import forms
from pmae_hsds.export import Dataset, to_hsds
from pmae_hsds.ids import PROFILE_URI, hsds_id
from pmae_hsds.imports import LOST, to_document

__all__ = [
    "EXPORTER_NAME",
    "PROFILE_URI",
    "Dataset",
    "export_hsds",
    "hsds_id",
    "read_hsds",
    "to_hsds",
]

EXPORTER_NAME: Final = "hsds"
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


def export_hsds(bundle: Bundle, folder: Path, context: ExportContext) -> None:
    """The ``hsds`` exporter: an HSDS 3.0 dataset (pmae profile) in an empty folder.

    Options: ``form`` = ``json`` (one file per object type, the default), ``services`` (the
    nested service view) or ``tabular`` (CSV files and ``datapackage.json``); ``as_of`` =
    the date services' status is judged at (default: the bundle's date).
    """
    unknown = set(context.options) - {"form", "as_of"}
    if unknown:
        raise ExportError(f"unknown option {', '.join(sorted(unknown))}; "
                          "hsds takes form=json|services|tabular and as_of=YYYY-MM-DD")
    form = context.options.get("form", "json")
    if form not in forms.FORMS:
        raise ExportError(f"form={form!r}: use one of {', '.join(forms.FORMS)}")
    as_of = None
    if "as_of" in context.options:
        try:
            as_of = dt.date.fromisoformat(context.options["as_of"])
        except ValueError:
            raise ExportError(f"as_of={context.options['as_of']!r} is not a date "
                              "(YYYY-MM-DD)") from None
    territories = (context.territories if isinstance(context.territories, Territories)
                   else current_session().territories)
    dataset = to_hsds(bundle, vocabularies=context.vocabularies or current_session().vocabularies,
                      territories=territories, lang=context.lang, as_of=as_of)
    forms.write(dataset, Path(folder), form, title=bundle.source.name)


def read_hsds(path: Path, options: Mapping[str, str]) -> ImportResult:
    """The ``hsds`` importer: a folder in any form the exporter writes, or from elsewhere.

    Options: ``source`` (the slug of the records' ids when the dataset has no pmae ids; by
    default the one its pmae ids carry, else ``hsds``), ``name`` (the source's name),
    ``visibility`` (of every record: ``public`` by default, HSDS has none).
    """
    file = str(path)
    problems = [f"unknown option {k}" for k in sorted(set(options) - {"source", "name",
                                                                        "visibility"})]
    if "source" in options and not _SLUG.match(options["source"]):
        problems.append(f"source={options['source']!r} is not a slug (a-z, 0-9, -)")
    if options.get("visibility", "public") not in ("public", "network", "restricted",
                                                   "private"):
        problems.append("visibility must be public, network, restricted or private")
    if problems:
        return ImportResult(document=None, issues=tuple(
            Issue(code="hsds:bad-option", path="$", file=file, message=p) for p in problems))
    try:
        _, tables, descriptor = forms.read(Path(path))
    except forms.FormError as error:
        return ImportResult(document=None, issues=(
            Issue(code="hsds:not-hsds", path="$", file=file, message=str(error)),))
    document, issues = to_document(tables, file=file, options=options, descriptor=descriptor)
    return ImportResult(document=document, issues=tuple(issues))


@hookimpl
def pmae_register_exporters(register: Callable[[Exporter], None]) -> None:
    """``hsds``: actors and offers as an HSDS 3.0 dataset (pmae profile)."""
    register(Exporter(
        name=EXPORTER_NAME, title="Open Referral HSDS 3.0 (profil pmae)", export=export_hsds,
        target="directory",
        description="Actors and offers as HSDS organizations and services; options "
                    "form=json|services|tabular, as_of=YYYY-MM-DD."))


@hookimpl
def pmae_register_importers(register: Callable[[Importer], None]) -> None:
    """``hsds``: an HSDS 3.0 dataset into actors and offers, losses reported."""
    register(Importer(
        name=EXPORTER_NAME, title="Open Referral HSDS 3.0", read=read_hsds,
        description=f"An HSDS dataset folder (JSON or tabular) into actors and offers; what "
                    f"pmae cannot hold is reported ({LOST}); options source=, name=, "
                    "visibility=."))
