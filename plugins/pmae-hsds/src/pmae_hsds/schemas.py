"""The official HSDS 3.0 schemas and the pmae profile, read from the plugin's data, offline.

The files under ``pmae_hsds/hsds/`` are Open Referral's (CC BY-SA 4.0, see the LICENSE and
README there), and the profile's merge patches are licensed the same way; this module only
reads them. :func:`registry` resolves every ``$ref`` from those files: a reference to anything
else fails, it is never fetched.
"""

from __future__ import annotations

import functools
import importlib.resources
import json
from collections.abc import Mapping
from typing import Any, Final

from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from pmae_hsds.ids import PROFILE_URI

#: Where the official per-object schemas are published: the base their relative ``$ref``\ s
#: resolve against.
HSDS_BASE: Final = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/"
#: Where the pmae profile's compiled schemas are published (HSDS: ``<profile URI>/schema``).
PROFILE_BASE: Final = f"{PROFILE_URI}schema/"

_DATA = importlib.resources.files("pmae_hsds") / "hsds"


def _read(*parts: str) -> Any:
    return json.loads(_DATA.joinpath(*parts).read_text(encoding="utf-8"))


@functools.cache
def hsds_schemas() -> Mapping[str, Any]:
    """The official HSDS 3.0 object schemas, by object name (``organization``…)."""
    names = sorted(p.name for p in _DATA.joinpath("schema").iterdir() if p.name.endswith(".json"))
    return {name.removesuffix(".json"): _read("schema", name) for name in names}


@functools.cache
def datapackage() -> Mapping[str, Any]:
    """HSDS 3.0's Tabular Data Package descriptor (the CSV files and their columns)."""
    result: Mapping[str, Any] = _read("datapackage.json")
    return result


@functools.cache
def profile_patches() -> Mapping[str, Any]:
    """The pmae profile: one JSON Merge Patch per HSDS schema file it changes."""
    folder = _DATA.joinpath("profile")
    return {p.name.removesuffix(".json"): _read("profile", p.name)
            for p in sorted(folder.iterdir(), key=lambda p: p.name)
            if p.name.endswith(".json")}


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON Merge Patch: ``patch`` applied to ``target`` (neither is changed)."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


@functools.cache
def profile_schemas() -> Mapping[str, Any]:
    """The pmae profile's schemas: each official schema with the profile's patch applied."""
    patches = profile_patches()
    return {name: merge_patch(schema, patches[name]) if name in patches else schema
            for name, schema in hsds_schemas().items()}


def strict(schema: Mapping[str, Any]) -> dict[str, Any]:
    """An object schema that refuses properties it does not define.

    As upstream's own example check does (``--set-additional-properties-false-everywhere``):
    each file describes one object and its nested objects are ``$ref``\\ s to other files, so
    closing each file's root closes every object.
    """
    return {**schema, "additionalProperties": False}


def registry(*, profile: bool = False, closed: bool = True) -> Registry[Any]:
    """Every schema (official, or the profile's) under its published URI, resolvable offline.

    :param closed: with ``additionalProperties: false`` on every object (strict validation).
    """
    schemas = profile_schemas() if profile else hsds_schemas()
    base = PROFILE_BASE if profile else HSDS_BASE
    resources = [(f"{base}{name}.json",
                  Resource.from_contents(strict(s) if closed else dict(s),
                                         default_specification=DRAFT202012))
                 for name, s in schemas.items()]
    return Registry().with_resources(resources)


def schema_uri(name: str, *, profile: bool = False) -> str:
    """The URI an object schema is registered under (``service`` -> ``…/service.json``)."""
    return f"{PROFILE_BASE if profile else HSDS_BASE}{name}.json"
