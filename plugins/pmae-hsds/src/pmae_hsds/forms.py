"""HSDS's publication forms: JSON (one file per object type, or the nested service view) and
the Tabular Data Package (one CSV per object and ``datapackage.json``); read back as tables.

Every form is made from, and read back into, the same thing: *tables*, one list of flat rows
per HSDS object (``organization``, ``service``, ``attribute``…), whose foreign keys
(``organization_id``, ``link_id``…) say what belongs to what. Which property holds which object
comes from the official schemas, not from a list kept here.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Final

from pmae_hsds.export import Dataset
from pmae_hsds.ids import PROFILE_URI
from pmae_hsds.schemas import datapackage, hsds_schemas

Tables = dict[str, list[dict[str, Any]]]

#: The forms the exporter writes: ``json`` (one file per object type), ``services`` (the
#: nested service view) and ``tabular`` (CSV files and ``datapackage.json``).
FORMS: Final = ("json", "services", "tabular")

#: The objects the exporter writes, in the order of HSDS's datapackage.
WRITTEN: Final = ("organization", "service", "attribute", "location", "phone", "contact",
                  "address", "schedule", "service_area", "taxonomy_term", "cost_option",
                  "organization_identifier", "taxonomy")

#: JSON files of the ``json`` form: file name -> the object of each item.
JSON_FILES: Final = {"organizations.json": "organization", "services.json": "service",
                     "taxonomies.json": "taxonomy", "taxonomy_terms.json": "taxonomy_term"}


def children(name: str) -> Iterator[tuple[str, str, bool]]:
    """``(property, object, is_list)`` for each object nested in an object of type ``name``."""
    for prop, spec in hsds_schemas()[name].get("properties", {}).items():
        ref = spec.get("$ref") or spec.get("items", {}).get("$ref")
        if ref:
            yield prop, ref.removesuffix(".json"), spec.get("type") == "array"


def _foreign_key(parent: str, child: str) -> tuple[str, str | None]:
    """The column of ``child`` that holds its ``parent``'s id (and the entity column if any)."""
    if child == "attribute":
        return "link_id", "link_entity"
    if child == "metadata":
        return "resource_id", "resource_type"
    return f"{parent}_id", None


class Lookup:
    """The rows of a table whose column holds a value, each (table, column) indexed once.

    Nesting and importing look children up by their parent's id: an index keeps that linear
    at national scale (100,000 services, a million attributes), where scanning would not.
    """

    def __init__(self, tables: Tables) -> None:
        self.tables = tables
        self._indexes: dict[tuple[str, str], dict[Any, list[dict[str, Any]]]] = {}

    def where(self, name: str, key: str, value: Any) -> list[dict[str, Any]]:
        """The rows of ``name`` whose ``key`` is ``value``, in their order."""
        index = self._indexes.get((name, key))
        if index is None:
            index = {}
            for row in self.tables.get(name, ()):
                with contextlib.suppress(TypeError):  # an unhashable value matches nothing
                    index.setdefault(row.get(key), []).append(row)
            self._indexes[(name, key)] = index
        try:
            return index.get(value, [])
        except TypeError:
            return []


def dedupe(tables: Tables) -> Tables:
    """Each object once: the nested service view repeats organizations and terms."""
    result: Tables = {}
    for name, rows in tables.items():
        seen: set[Any] = set()
        kept = result.setdefault(name, [])
        for row in rows:
            key = row.get("id")
            if isinstance(key, str) and key in seen:
                continue
            if isinstance(key, str):
                seen.add(key)
            kept.append(row)
    return result


# -- from tables to nested objects and back ---------------------------------------------------
def flatten(name: str, obj: Mapping[str, Any], tables: Tables) -> None:
    """Add ``obj`` (an object of type ``name``) and every object nested in it to ``tables``."""
    row = {k: v for k, v in obj.items() if not isinstance(v, (dict, list))}
    nested = dict((prop, (child, many)) for prop, child, many in children(name))
    for prop, value in obj.items():
        if prop not in nested or not isinstance(value, (dict, list)):
            continue
        child, many = nested[prop]
        items = value if many and isinstance(value, list) else [value]
        for item in items:
            if not isinstance(item, Mapping):
                continue
            item = dict(item)
            if many:  # a child: point it to its parent when the publisher left that implicit
                key, entity = _foreign_key(name, child)
                if key in hsds_schemas()[child].get("properties", {}) and "id" in obj:
                    item.setdefault(key, obj["id"])
                    if entity:
                        item.setdefault(entity, name)
            elif "id" in item:  # an embedded parent or term: the object points to it
                row.setdefault(f"{child}_id" if prop != "taxonomy_detail" else "taxonomy_id",
                               item["id"])
            flatten(child, item, tables)
    tables.setdefault(name, []).append(row)


def nest(name: str, row: Mapping[str, Any], tables: Lookup,
         embed: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The object ``row`` of type ``name`` with its children (found in ``tables``) nested.

    ``embed`` names the singular objects to embed as well (``organization`` in a service,
    ``taxonomy_term`` in an attribute): the nested service view.
    """
    obj: dict[str, Any] = dict(row)
    for prop, child, many in children(name):
        if many:
            key, entity = _foreign_key(name, child)
            found = [nest(child, r, tables, embed) for r in tables.where(child, key, row.get("id"))
                     if entity is None or r.get(entity) == name]
            if found:
                obj[prop] = found
        elif child in embed or (prop == "taxonomy_detail" and "taxonomy" in embed):
            key = "taxonomy_id" if prop == "taxonomy_detail" else f"{child}_id"
            target = next(iter(tables.where(child, "id", row.get(key))), None)
            if target is not None:
                obj[prop] = nest(child, target, tables, embed)
    return obj


def dataset_tables(dataset: Dataset) -> Tables:
    """The tables of an export."""
    tables: Tables = {}
    for organization in dataset.organizations:
        flatten("organization", organization, tables)
    for service in dataset.services:
        flatten("service", service, tables)
    tables["taxonomy"] = list(dataset.taxonomies)
    tables["taxonomy_term"] = list(dataset.taxonomy_terms)
    return dedupe(tables)


# -- writing ----------------------------------------------------------------------------------
def write(dataset: Dataset, folder: Path, form: str, *, title: str) -> list[str]:
    """Write ``dataset`` in ``form`` into ``folder``; returns the files written."""
    tables = dataset_tables(dataset)
    if form == "tabular":
        return _write_tabular(tables, folder, title=title, created=dataset.generated_at)
    embed = frozenset({"organization", "taxonomy_term", "taxonomy"}) if form == "services" \
        else frozenset()
    lookup = Lookup(tables)
    documents: dict[str, list[dict[str, Any]]] = {
        "organizations.json": [nest("organization", r, lookup, embed)
                               for r in tables.get("organization", [])],
        "services.json": [nest("service", r, lookup, embed) for r in tables.get("service", [])],
    }
    if form == "json":
        documents["taxonomies.json"] = tables.get("taxonomy", [])
        documents["taxonomy_terms.json"] = tables.get("taxonomy_term", [])
    for file, items in documents.items():
        text = json.dumps(items, ensure_ascii=False, indent=2) + "\n"
        (folder / file).write_text(text, encoding="utf-8")
    return list(documents)


def _resources() -> dict[str, Mapping[str, Any]]:
    return {r["name"]: r for r in datapackage()["resources"]}


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _write_tabular(tables: Tables, folder: Path, *, title: str, created: str) -> list[str]:
    resources = _resources()
    written = []
    for name in WRITTEN:
        resource = resources[name]
        columns = [f["name"] for f in resource["schema"]["fields"]]
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(columns)
        for row in tables.get(name, ()):
            writer.writerow([_cell(row.get(c)) for c in columns])
        (folder / resource["path"]).write_text(buffer.getvalue(), encoding="utf-8", newline="")
        written.append(resource["path"])
    descriptor = {k: v for k, v in datapackage().items() if k != "resources"}
    descriptor.update({"title": title, "created": created,
                       "description": f"HSDS 3.0, profil pmae ({PROFILE_URI})."})
    descriptor["resources"] = [resources[name] for name in WRITTEN]
    (folder / "datapackage.json").write_text(
        json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return [*written, "datapackage.json"]


# -- reading ----------------------------------------------------------------------------------
class FormError(ValueError):
    """A folder that holds no HSDS dataset this plugin can read; the message says why."""


def read(folder: Path) -> tuple[str, Tables, dict[str, Any]]:
    """The tables of an HSDS dataset in ``folder``: its form, tables and package descriptor.

    :raises FormError: no ``datapackage.json`` nor HSDS JSON file there, or one is unreadable.
    """
    if not folder.is_dir():
        raise FormError(f"{folder} is not a folder: give the folder of an HSDS dataset "
                        "(JSON files, or CSV files with datapackage.json)")
    if (folder / "datapackage.json").is_file():
        descriptor = _load(folder / "datapackage.json")
        if not isinstance(descriptor, dict) or not isinstance(descriptor.get("resources"), list):
            raise FormError(f"{folder / 'datapackage.json'}: no list of resources")
        return "tabular", _read_tabular(folder, descriptor), descriptor
    tables: Tables = {}
    found = False
    for file, name in JSON_FILES.items():
        if (folder / file).is_file():
            found = True
            items = _load(folder / file)
            if not isinstance(items, list):
                raise FormError(f"{folder / file}: expected a JSON array of {name} objects")
            for item in items:
                if isinstance(item, Mapping):
                    flatten(name, item, tables)
    if not found:
        raise FormError(f"{folder}: no datapackage.json and none of "
                        f"{', '.join(JSON_FILES)}: is it an HSDS dataset?")
    return "json", dedupe(tables), {}


def _load(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise FormError(f"{path}: cannot read it as JSON ({error})") from None


def _typed(value: str, kind: str | None) -> Any:
    if kind in ("number", "integer"):
        try:
            number = float(value)
        except ValueError:
            return value  # left for the schema to report
        return int(number) if number.is_integer() else number
    return value


def _read_tabular(folder: Path, descriptor: Mapping[str, Any]) -> Tables:
    tables: Tables = {}
    inside = folder.resolve()
    for resource in descriptor["resources"]:
        if not isinstance(resource, Mapping):
            continue
        path = (folder / str(resource.get("path"))).resolve()
        if path.parent != inside:
            raise FormError(f"datapackage.json: resource path {resource.get('path')!r} is not "
                            "a file of the dataset's folder")
        if not path.is_file():
            continue
        kinds = {f.get("name"): f.get("type")
                 for f in resource.get("schema", {}).get("fields", ()) if isinstance(f, Mapping)}
        try:  # newline="": line breaks inside quoted cells are data, kept as they are
            with path.open(encoding="utf-8-sig", newline="") as stream:
                text = stream.read()
        except (OSError, UnicodeDecodeError) as error:
            raise FormError(f"{path}: cannot read it as UTF-8 CSV ({error})") from None
        rows = tables.setdefault(str(resource.get("name")), [])
        for record in csv.DictReader(io.StringIO(text, newline="")):
            rows.append({k: _typed(v, kinds.get(k)) for k, v in record.items()
                         if k is not None and v not in (None, "")})
    return tables
