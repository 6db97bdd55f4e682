"""Reading data·inclusion files: where the structures and services are, and what each value is.

data·inclusion publishes its two record types as two lists: in one document
``{"structures": [...], "services": [...]}`` (what this plugin's exporter writes), as two files
``structures.json`` and ``services.json`` (its open-data releases), as an API page
``{"items": [...], "total": …}`` or as a bare JSON array. Each record is kept with the file and
the JSON path it came from, so that every issue points into the user's file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import attrs
from pmae.io.files import DocumentError, read_document
from pmae.issues import Issue

_HINT: Final = ('give data·inclusion JSON: {"structures": [...], "services": [...]}, an API '
                'page {"items": [...]} or an array of structures or of services')
#: The two files of a data·inclusion release, when a folder is imported.
FOLDER_FILES: Final = ("structures.json", "services.json")


@attrs.define(kw_only=True, frozen=True)
class Located:
    """One data·inclusion record and where it is: its file and its JSON path there."""

    record: dict[str, Any]
    file: str
    path: str


#: Fields of a structure and a service that pmae has no place for, with why.
STRUCTURE_LOSSES: Final = {
    "lien_source": "the producer's page is not the actor's website",
    "horaires_accueil": "pmae actors have no opening hours",
    "accessibilite_lieu": "pmae actors have no accessibility link",
    "longitude": "pmae places actors by commune", "latitude": "pmae places actors by commune",
}
SERVICE_LOSSES: Final = {
    "conditions_acces": "pmae offers have no access conditions",
    "commune": "an offer has no place of its own in pmae",
    "code_postal": "an offer has no place of its own in pmae",
    "code_insee": "an offer has no place of its own in pmae",
    "adresse": "an offer has no place of its own in pmae",
    "complement_adresse": "an offer has no place of its own in pmae",
    "longitude": "an offer has no place of its own in pmae",
    "latitude": "an offer has no place of its own in pmae",
    "telephone": "an offer has no contact of its own in pmae",
    "courriel": "an offer has no contact of its own in pmae",
    "contact_nom_prenom": "a person's name is never imported",
    "lien_mobilisation": "pmae offers have no mobilisation link",
    "modes_mobilisation": "pmae offers have no mobilisation modes",
    "mobilisable_par": "pmae offers have no mobilisation modes",
    "mobilisation_precisions": "pmae offers have no mobilisation modes",
    "volume_horaire_hebdomadaire": "pmae offers have no duration",
    "nombre_semaines": "pmae offers have no duration",
    "horaires_accueil": "pmae offers have no opening hours",
}


#: Every field of data·inclusion v1's models: others (older versions, API extras) are reported.
STRUCTURE_FIELDS: Final = frozenset({
    "source", "id", "nom", "date_maj", "description", "lien_source", "siret", "commune",
    "code_postal", "code_insee", "adresse", "complement_adresse", "longitude", "latitude",
    "telephone", "courriel", "site_web", "horaires_accueil", "accessibilite_lieu",
    "reseaux_porteurs"})
SERVICE_FIELDS: Final = frozenset({
    "source", "structure_id", "id", "nom", "description", "lien_source", "date_maj", "type",
    "thematiques", "frais", "frais_precisions", "publics", "publics_precisions",
    "modes_accueil", "zone_eligibilite", *SERVICE_LOSSES})


class InputError(Exception):
    """The input cannot be read at all; ``issue`` says where and why."""

    def __init__(self, issue: Issue) -> None:
        super().__init__(issue.render())
        self.issue = issue


def read_records(path: Path) -> tuple[list[Located], list[Located]]:
    """The structures and the services of a file or a folder, in order.

    :raises InputError: the file is missing or not JSON, or holds something else than
        data·inclusion records.
    """
    if path.is_dir():
        files = [path / name for name in FOLDER_FILES if (path / name).is_file()]
        if not files:
            raise InputError(Issue(
                code="file-not-found", file=str(path),
                message="this folder holds neither structures.json nor services.json",
                hint="give a data·inclusion JSON file, or a folder with structures.json "
                     "and services.json"))
    else:
        files = [path]
    structures: list[Located] = []
    services: list[Located] = []
    for file in files:
        for kind, located in _split(file):
            (services if kind == "services" else structures).append(located)
    return structures, services


def _load(file: Path) -> Any:
    if file.suffix in (".jsonl", ".ndjson"):
        # pmae reads those names as JSON Lines bundles; data·inclusion publishes JSON.
        raise InputError(Issue(code="invalid-json", file=str(file),
                               message="data·inclusion records are read from a JSON file",
                               hint="give the .json release of structures and services"))
    try:
        return read_document(file).data
    except DocumentError as error:
        # pmae's hint speaks of bundles: say what this file should be.
        raise InputError(attrs.evolve(error.issue, hint=_HINT)) from None


def _split(file: Path) -> Iterator[tuple[str, Located]]:
    data = _load(file)
    name = str(file)
    lists: list[tuple[str | None, str, Any]] = []
    if isinstance(data, dict) and ("structures" in data or "services" in data):
        lists = [(key, f"$.{key}", data[key]) for key in ("structures", "services")
                 if key in data]
    elif isinstance(data, dict) and "items" in data:
        lists = [(None, "$.items", data["items"])]
    elif isinstance(data, list):
        lists = [(None, "$", data)]
    else:
        raise InputError(Issue(
            code="datainclusion:not-records", file=name,
            message="this JSON holds no data·inclusion records", hint=_HINT))
    for kind, base, records in lists:
        if not isinstance(records, list):
            raise InputError(Issue(code="wrong-type", file=name, path=base,
                                   message=f"expected an array of records, got "
                                           f"{type(records).__name__}"))
        for index, record in enumerate(records):
            where = f"{base}[{index}]"
            if not isinstance(record, dict):
                raise InputError(Issue(code="wrong-type", file=name, path=where,
                                       message="a data·inclusion record is a JSON object"))
            # A list without a name is services when its records point to a structure.
            found = kind or ("services" if "structure_id" in record else "structures")
            yield found, Located(record=record, file=name, path=where)


def text(located: Located, field: str, issues: list[Issue], *,
         required: bool = False) -> str | None:
    """A string field, stripped; ``None`` when absent, null or empty (an error if required)."""
    value = located.record.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            issues.append(Issue(code="missing-field", file=located.file,
                                path=f"{located.path}.{field}",
                                message=f"{field} is required in a data·inclusion record"))
        return None
    if not isinstance(value, str):
        issues.append(Issue(code="wrong-type", file=located.file, path=f"{located.path}.{field}",
                            message=f"{field} must be a string, got {type(value).__name__}"))
        return None
    return value.strip()


def codes(located: Located, field: str, issues: list[Issue]) -> list[str]:
    """A list-of-strings field (``thematiques``, ``zone_eligibilite``…); ``[]`` when absent."""
    value = located.record.get(field)
    if value is None:
        return []
    if not (isinstance(value, list) and all(isinstance(item, str) for item in value)):
        issues.append(Issue(code="wrong-type", file=located.file, path=f"{located.path}.{field}",
                            message=f"{field} must be an array of strings"))
        return []
    return list(dict.fromkeys(value))


def lost(located: Located, field: str, why: str, losses: list[tuple[str, str]]) -> None:
    """Note a value that pmae has no place for (the import goes on without it): the message,
    and where it is (``<file>:<JSON path>``), for the import's warnings."""
    losses.append((f"{field}: {why}; not imported", f"{located.file}:{located.path}.{field}"))
