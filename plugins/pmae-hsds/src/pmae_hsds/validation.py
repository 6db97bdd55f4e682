"""Validate an HSDS dataset folder against the official HSDS 3.0 schemas and the pmae profile.

Offline and strict: every ``$ref`` resolves inside the plugin's copy of the schemas (never a
network fetch), objects may hold no property their schema does not define, formats (uuid, uri,
email, date-time) are checked, and references between objects and files (a service's
organization, an attribute's term, a term's taxonomy, children's parent ids) must resolve.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator, FormatChecker

from pmae_hsds import forms
from pmae_hsds.schemas import datapackage, registry, schema_uri

__all__ = ["validate_dataset"]

_FORMATS = FormatChecker()
#: Foreign keys whose name is not ``<object>_id``.
_TARGETS = {"taxonomy_id": "taxonomy", "parent_organization_id": "organization",
            "resource_id": None}


@_FORMATS.checks("uri")
def _uri(value: object) -> bool:
    return not isinstance(value, str) or bool(urlsplit(value).scheme)


@_FORMATS.checks("date-time", raises=ValueError)
def _datetime(value: object) -> bool:
    if isinstance(value, str):
        parsed = dt.datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError("a date-time needs its time zone")
    return True


def validate_dataset(folder: Path, *, profile: bool = True) -> list[str]:
    """Every problem of the dataset in ``folder``, as ``file: path: message`` lines.

    :param profile: check the pmae profile too (else HSDS 3.0 alone).
    """
    form, tables, descriptor = forms.read(folder)
    problems: list[str] = []
    if form == "tabular":
        problems.extend(_check_tabular(folder, descriptor))
    for p in sorted({False, profile}):
        label = "pmae profile" if p else "HSDS 3.0"
        for name, objects in _objects(folder, form, tables):
            validator = Draft202012Validator({"$ref": schema_uri(name, profile=p)},
                                             registry=registry(profile=p),
                                             format_checker=_FORMATS)
            for where, obj in objects:
                for error in validator.iter_errors(obj):
                    problems.append(f"{where}{error.json_path[1:]}: {label}: {error.message}")
    problems.extend(_references(tables))
    return problems


def _objects(folder: Path, form: str,
             tables: forms.Tables) -> Iterator[tuple[str, list[tuple[str, Any]]]]:
    """The objects to validate: as written (JSON), or nested back from the CSV rows."""
    if form == "json":
        for file, name in forms.JSON_FILES.items():
            if (folder / file).is_file():
                items = json.loads((folder / file).read_text(encoding="utf-8"))
                yield name, [(f"{file}:$[{i}]", item) for i, item in enumerate(items)]
        return
    lookup = forms.Lookup(tables)
    for name in ("organization", "service", "taxonomy", "taxonomy_term"):
        yield name, [(f"{name} {row.get('id')}:$", forms.nest(name, row, lookup))
                     for row in tables.get(name, ())]


def _check_tabular(folder: Path, descriptor: Mapping[str, Any]) -> Iterator[str]:
    official = {r["name"]: r for r in datapackage()["resources"]}
    for resource in descriptor["resources"]:
        name = resource.get("name")
        if name not in official:
            yield f"datapackage.json: resource {name!r} is not an HSDS object"
            continue
        expected = [f["name"] for f in official[name]["schema"]["fields"]]
        if resource.get("path") != official[name]["path"]:
            yield f"datapackage.json: {name} should be in {official[name]['path']}"
        if resource.get("schema") != official[name]["schema"]:
            yield f"datapackage.json: the schema of {name} is not HSDS's"
        with (folder / resource["path"]).open(encoding="utf-8-sig", newline="") as stream:
            text = stream.read()
        header = next(csv.reader(io.StringIO(text, newline="")), [])
        if header != expected:
            yield f"{resource['path']}: columns {','.join(header)}, HSDS has {','.join(expected)}"


def _references(tables: forms.Tables) -> Iterator[str]:
    """Foreign keys that point to no object of the dataset, and duplicate ids."""
    ids = {name: [r.get("id") for r in rows] for name, rows in tables.items()}
    for name, values in ids.items():
        if len(set(values)) != len(values):
            yield f"{name}: duplicate ids"
    known = {name: set(values) for name, values in ids.items()}
    for name, rows in tables.items():
        for row in rows:
            for key, value in row.items():
                target = _TARGETS.get(key, name if key == "parent_id"
                                      else row.get("link_entity") if key == "link_id"
                                      else key.removesuffix("_id") if key.endswith("_id")
                                      else None)
                if target and value not in known.get(str(target), set()):
                    yield f"{name} {row.get('id')}: {key} {value} points to no {target}"
