"""The layout of the CSV tables, derived from the JSON Schemas."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, Final

import attrs

from pmae.io.schemas import load_schema
from pmae.model import COLLECTIONS

#: The key column of tables of named values, where ``key`` would say less.
KEY_COLUMNS: Final = {"answers": "question", "scores": "dimension", "levels": "dimension"}



@attrs.define(kw_only=True, frozen=True)
class Column:
    """One column: its header, where its value sits in a JSON object, and the value's type."""

    name: str
    keys: tuple[str, ...]
    kind: str  # "string", "integer", "number", "boolean" or "mixed"
    is_list: bool = False
    #: The shared definition the value (a list's item) follows, when it has one: ``date``,
    #: ``territory``, ``siren``… (``common.schema.json#/$defs/<name>``), for the readers'
    #: spreadsheet habits and the XLSX drop-down lists.
    definition: str | None = None


@attrs.define(kw_only=True, frozen=True)
class Table:
    """One CSV file of the layout.

    ``shape`` is ``envelope`` (bundle.csv, one row), ``records`` (one row a record),
    ``items`` (one row per object of an array field, after the parent's id) or ``entries``
    (one row per named value of an object field: parent id, key, value and, when values are
    of several types, their type).
    """

    file: str
    shape: str
    columns: tuple[Column, ...]
    collection: str | None = None
    field: str | None = None
    parent_column: str | None = None
    key_column: str | None = None
    value: Column | None = None

    def header(self) -> list[str]:
        """The header row."""
        head = [self.parent_column] if self.parent_column else []
        if self.shape == "entries":
            assert self.key_column is not None and self.value is not None
            head += [self.key_column, "value"] + (["type"] if self.value.kind == "mixed" else [])
        return head + [column.name for column in self.columns]


def _resolve(document: str, schema: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """Follow ``$ref`` (keeping sibling keywords); returns the document the result lives in.

    The name of the last ``$defs`` entry followed is kept as ``x-definition``.
    """
    result = dict(schema)
    while "$ref" in result:
        reference = str(result.pop("$ref"))
        if "/$defs/" in reference:
            result.setdefault("x-definition", reference.rsplit("/", 1)[-1])
        file, _, pointer = reference.partition("#")
        if file:
            document = file.removesuffix(".schema.json")
        target: Any = load_schema(document)
        for part in filter(None, pointer.split("/")):
            target = target[part]
        result = {**target, **result}
    return document, result


def _kind(schema: Mapping[str, Any]) -> str:
    declared = schema.get("type", "string")
    types = [t for t in ([declared] if isinstance(declared, str) else declared) if t != "null"]
    if len(types) == 1:
        return str(types[0])
    if set(types) <= {"integer", "number"}:
        return "number"
    return "mixed"


def _object_columns(
    document: str, schema: Mapping[str, Any], prefix: tuple[str, ...] = ()
) -> tuple[list[Column], list[tuple[str, str, str, dict[str, Any]]]]:
    """The columns of an object, and its nested tables as ``(shape, field, document, schema)``."""
    columns: list[Column] = []
    nested: list[tuple[str, str, str, dict[str, Any]]] = []
    for name, prop in schema.get("properties", {}).items():
        where, resolved = _resolve(document, prop)
        kind, keys = _kind(resolved), (*prefix, name)
        if kind == "object" and "properties" in resolved:
            inner, deeper = _object_columns(where, resolved, keys)
            if deeper:
                raise TypeError(f"no CSV layout for tables inside {'.'.join(keys)}")
            columns += inner
        elif kind == "object":
            nested.append(("entries", name, where, resolved))
        elif kind == "array":
            item_document, items = _resolve(where, resolved.get("items", {}))
            item_kind = _kind(items)
            if item_kind == "object":
                nested.append(("items", name, item_document, items))
            elif item_kind in ("array", "mixed"):
                raise TypeError(f"no CSV layout for lists of {item_kind} ({'.'.join(keys)})")
            else:
                columns.append(Column(name=".".join(keys), keys=keys, kind=item_kind,
                                      is_list=True, definition=items.get("x-definition")))
        elif kind == "mixed":
            raise TypeError(f"no CSV layout for a column of several types ({'.'.join(keys)})")
        else:
            columns.append(Column(name=".".join(keys), keys=keys, kind=kind,
                                  definition=resolved.get("x-definition")))
    return columns, nested


def _nested_tables(nested: list[tuple[str, str, str, dict[str, Any]]],
                   collection: str | None, singular: str | None) -> list[Table]:
    tables = []
    for shape, field, document, schema in nested:
        file = f"{singular}_{field}.csv" if singular else f"{field}.csv"
        parent = f"{singular}_id" if singular else None
        if shape == "items":
            columns, deeper = _object_columns(document, schema)
            if deeper:
                raise TypeError(f"no CSV layout for tables inside {field}")
            tables.append(Table(file=file, shape="items", columns=tuple(columns),
                                collection=collection, field=field, parent_column=parent))
        else:
            _, values = _resolve(document, schema.get("additionalProperties", {}))
            tables.append(Table(
                file=file, shape="entries", columns=(), collection=collection, field=field,
                parent_column=parent, key_column=KEY_COLUMNS.get(field, "key"),
                value=Column(name="value", keys=(), kind=_kind(values)),
            ))
    return tables


@functools.cache
def layout() -> tuple[Table, ...]:
    """Every table, in the order files are written: the envelope, then collection by collection."""
    bundle = load_schema("bundle")
    envelope = {"properties": {k: v for k, v in bundle["properties"].items()
                               if k not in COLLECTIONS}}
    columns, nested = _object_columns("bundle", envelope)
    tables = [Table(file="bundle.csv", shape="envelope", columns=tuple(columns)),
              *_nested_tables(nested, None, None)]
    for collection in COLLECTIONS:
        record_schema = bundle["properties"][collection]["items"]["$ref"]
        singular = record_schema.removesuffix(".schema.json")
        document, schema = _resolve(singular, load_schema(singular))
        columns, nested = _object_columns(document, schema)
        tables.append(Table(file=f"{collection}.csv", shape="records", columns=tuple(columns),
                            collection=collection))
        tables += _nested_tables(nested, collection, singular)
    return tuple(tables)
