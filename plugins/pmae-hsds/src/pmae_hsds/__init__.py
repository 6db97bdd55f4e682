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
    ImportContext,
    Importer,
    ImportResult,
    Option,
    hookimpl,
)
from pmae.sessions import session as current_session
from pmae.territories import Territories

from pmae_hsds import forms
from pmae_hsds.export import Dataset, to_hsds
from pmae_hsds.ids import PROFILE_URI, hsds_id
from pmae_hsds.imports import to_document

__all__ = [
    "EXPORTER_NAME",
    "EXPORT_OPTIONS",
    "IMPORT_OPTIONS",
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

    Options (declared in :data:`EXPORT_OPTIONS`, checked by pmae before this runs): ``form``
    = ``json`` (one file per object type, the default), ``services`` (the nested service view)
    or ``tabular`` (CSV files and ``datapackage.json``); ``as_of`` = the date services' status
    is judged at (default: the bundle's date).
    """
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
    forms.write(dataset, Path(folder), context.options["form"], title=bundle.source.name)


def read_hsds(path: Path, options: Mapping[str, str], context: ImportContext) -> ImportResult:
    """The ``hsds`` importer: a folder in any form the exporter writes, or from elsewhere.

    Options (:data:`IMPORT_OPTIONS`): ``source`` (the slug of the records' ids when the
    dataset has no pmae ids; by default the one its pmae ids carry, else ``hsds``), ``name``
    (the source's name), ``visibility`` (of every record: ``public`` by default, HSDS has
    none). What pmae has no place for is reported with ``context.warn``, one warning per kind.
    """
    file = str(path)
    if "source" in options and not _SLUG.match(options["source"]):
        return ImportResult(document=None, issues=(Issue(
            code="hsds:bad-option", path="$", file=file,
            message=f"source={options['source']!r} is not a slug (a-z, 0-9, -)"),))
    try:
        _, tables, descriptor = forms.read(Path(path))
    except forms.FormError as error:
        return ImportResult(document=None, issues=(
            Issue(code="hsds:not-hsds", path="$", file=file, message=str(error)),))
    document, issues, losses = to_document(tables, file=file, options=options,
                                           descriptor=descriptor)
    for loss in losses:
        context.warn(loss)
    return ImportResult(document=document, issues=tuple(issues))


#: The exporter's options: pmae lists them (``pmae plugins``) and checks them before it runs.
EXPORT_OPTIONS: Final = (
    Option(name="form", help="json (a file per object type), services (the nested service "
                             "view) or tabular (CSV files and datapackage.json)",
           choices=forms.FORMS, default="json"),
    Option(name="as_of", help="the date a service's status is judged at, YYYY-MM-DD "
                              "(default: the bundle's date)"),
)
#: The importer's options.
IMPORT_OPTIONS: Final = (
    Option(name="source", help="the slug of the records' ids when the dataset has no pmae "
                               "ids (default: the one its pmae ids carry, else hsds)"),
    Option(name="name", help="the source's name (default: the dataset's title)"),
    Option(name="visibility", help="the visibility of every record (HSDS has none)",
           choices=("public", "network", "restricted", "private"), default="public"),
)


@hookimpl
def pmae_register_exporters(register: Callable[[Exporter], None]) -> None:
    """``hsds``: actors and offers as an HSDS 3.0 dataset (pmae profile)."""
    register(Exporter(
        name=EXPORTER_NAME, title="Open Referral HSDS 3.0 (profil pmae)", export=export_hsds,
        target="directory", options=EXPORT_OPTIONS,
        description="Actors and offers as HSDS organizations and services."))


@hookimpl
def pmae_register_importers(register: Callable[[Importer], None]) -> None:
    """``hsds``: an HSDS 3.0 dataset into actors and offers, losses reported."""
    register(Importer(
        name=EXPORTER_NAME, title="Open Referral HSDS 3.0", read=read_hsds,
        options=IMPORT_OPTIONS,
        description="An HSDS dataset folder (JSON or tabular) into actors and offers; what "
                    "pmae cannot hold is reported as warnings."))
