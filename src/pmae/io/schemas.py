"""The JSON Schemas pmae ships, and validators that never touch the network.

Schemas live in ``schemas/`` at the top of the repository (the contract, for non-Python users
too) and are shipped inside the wheel as ``pmae/schemas``. Every ``$ref`` resolves through a
preloaded registry; a reference to anything else is an error, not a download.

Two validators share each schema:

- the *fast* one (jsonschema-rs) answers "valid or not" for every record;
- the *detailed* one (Python ``jsonschema``) explains what is wrong, and runs only on what the
  fast one refused, so a large valid bundle costs little and an invalid record gets every error.

Both check the same ``format`` keywords; where the two libraries' own checkers could disagree
(``email``, ``uri``), both use the same Python function, so the two paths give the same report.
"""

from __future__ import annotations

import functools
import importlib.resources
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

import jsonschema
import jsonschema_rs
import referencing
import referencing.exceptions
from referencing.jsonschema import DRAFT202012

#: Where the schemas' ``$id``s live. The path carries the major version of the format.
SCHEMA_BASE: Final = "https://schemas.pmae.fr/v1/"


class OfflineRetrievalError(LookupError):
    """A schema asked for a resource that is not in the preloaded registry."""


def _schemas_dir() -> Path:
    packaged = importlib.resources.files("pmae") / "schemas"
    if packaged.is_dir():
        return Path(str(packaged))
    # An editable install or a source checkout: the top-level schemas/ folder.
    return Path(__file__).resolve().parents[3] / "schemas"


@functools.cache
def _all_schemas() -> Mapping[str, dict[str, Any]]:
    schemas: dict[str, dict[str, Any]] = {}
    for path in sorted(_schemas_dir().glob("*.schema.json")):
        schemas[path.name.removesuffix(".schema.json")] = json.loads(path.read_text("utf-8"))
    return schemas


def schema_names() -> tuple[str, ...]:
    """The names of the shipped schemas (``bundle``, ``offer``, ``common``…)."""
    return tuple(_all_schemas())


def load_schema(name: str) -> dict[str, Any]:
    """One shipped schema by name (a copy: change it freely)."""
    try:
        return json.loads(json.dumps(_all_schemas()[name]))  # type: ignore[no-any-return]
    except KeyError:
        raise KeyError(f"no schema named {name!r}; known: {', '.join(schema_names())}") from None


def schema_uri(name: str) -> str:
    """The ``$id`` of a shipped schema."""
    return str(_all_schemas()[name]["$id"])


def _refuse(uri: str) -> referencing.Resource[Any]:
    raise OfflineRetrievalError(
        f"{uri} is not among the schemas pmae ships; pmae never fetches schemas from the network"
    )


def resources() -> dict[str, dict[str, Any]]:
    """Every shipped schema by its ``$id``."""
    return {schema["$id"]: schema for schema in _all_schemas().values()}


@functools.cache
def registry() -> referencing.Registry[Any]:
    """A registry preloaded with every shipped schema; anything else is refused, not fetched."""
    preloaded: referencing.Registry[Any] = referencing.Registry(retrieve=_refuse)  # type: ignore[call-arg]
    return preloaded.with_resources(
        (uri, DRAFT202012.create_resource(schema)) for uri, schema in resources().items()
    ).crawl()


# --- formats -------------------------------------------------------------------------------

_EMAIL = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)


def check_email(value: object) -> bool:
    """A professional e-mail address: ``local@domain.tld``, ASCII, no quoted or IP forms."""
    return not isinstance(value, str) or bool(_EMAIL.match(value))


_URI_CHARS = re.compile(r"^[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+$")


def check_uri(value: object) -> bool:
    """An absolute URI (RFC 3986): a scheme, and only characters a URI may hold."""
    if not isinstance(value, str):
        return True
    if not _URI_CHARS.match(value) or re.search(r"%(?![0-9A-Fa-f]{2})", value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*$", parts.scheme or ""):
        return False
    if value[len(parts.scheme) + 1 :].startswith("//"):
        try:
            parts.port  # noqa: B018 - raises ValueError on a bad port
        except ValueError:
            return False
    return True


#: Formats both validators check with the same Python function.
SHARED_FORMATS: Final = {"email": check_email, "uri": check_uri}


@functools.cache
def format_checker() -> jsonschema.FormatChecker:
    """The format checker of the detailed path: ``jsonschema``'s, with pmae's shared checks."""
    checker = jsonschema.FormatChecker()
    for name, function in SHARED_FORMATS.items():
        checker.checks(name)(function)
    return checker


# --- validators ----------------------------------------------------------------------------


class SchemaValidator:
    """The fast and the detailed validator of one schema."""

    def __init__(self, schema: Mapping[str, Any]) -> None:
        self.schema = schema
        self.fast = jsonschema_rs.validator_for(
            dict(schema),
            registry=_fast_registry(),
            retriever=_fast_refuse,
            validate_formats=True,
            formats=dict(SHARED_FORMATS),
        )
        self.detailed = jsonschema.Draft202012Validator(
            schema, registry=registry(), format_checker=format_checker()
        )

    def is_valid(self, instance: Any) -> bool:
        """Valid or not, as fast as can be (jsonschema-rs)."""
        return bool(self.fast.is_valid(instance))

    def iter_errors(self, instance: Any) -> Iterator[jsonschema.ValidationError]:
        """Every error, explained (Python jsonschema)."""
        return self.detailed.iter_errors(instance)


def _fast_refuse(uri: str) -> Any:
    raise OfflineRetrievalError(
        f"{uri} is not among the schemas pmae ships; pmae never fetches schemas from the network"
    )


@functools.cache
def _fast_registry() -> jsonschema_rs.Registry:
    return jsonschema_rs.Registry(list(resources().items()), retriever=_fast_refuse)


@functools.cache
def validator(name: str) -> SchemaValidator:
    """The validators of a shipped schema, built once."""
    return SchemaValidator(_all_schemas()[name])
