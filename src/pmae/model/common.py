"""Values shared by several records: people, sources and the visibility of a record.

Constraints on values (patterns, ranges, known codes) live in the JSON Schemas and the semantic
checks, not here: an attrs validator would raise without the JSON path of the bad field.
"""

from __future__ import annotations

import datetime as dt

import attrs

from pmae.model.fields import (
    datetime,
    instance,
    integer,
    named_errors,
    optional_text,
    text,
)

#: Visibility codes, from the most open to the most closed (the ``visibility`` vocabulary).
VISIBILITIES: tuple[str, ...] = ("public", "network", "restricted", "private")


@named_errors
@attrs.define(kw_only=True, frozen=True)
class Person:
    """A contact person, speaker or facilitator: professional details only.

    No free text is kept about a person, so nothing about health, opinions or union membership
    can slip in. Every field but the name is optional, and a public export drops the whole value.
    """

    name: str = attrs.field(converter=text)
    role: str | None = attrs.field(default=None, converter=optional_text)
    email: str | None = attrs.field(default=None, converter=optional_text)
    phone: str | None = attrs.field(default=None, converter=optional_text)


@named_errors
@attrs.define(kw_only=True, frozen=True)
class Source:
    """The network that publishes a bundle: its slug (the prefix of its ids) and its name."""

    slug: str = attrs.field(converter=text)
    name: str = attrs.field(converter=text)
    url: str | None = attrs.field(default=None, converter=optional_text)
    contact_email: str | None = attrs.field(default=None, converter=optional_text)


def _source(value: Source) -> Source:
    return instance(value, Source)


@named_errors
@attrs.define(kw_only=True, frozen=True)
class Provenance:
    """One bundle that went into a merged bundle: who published it, when, and what it held."""

    source: Source = attrs.field(converter=_source)
    generated_at: dt.datetime = attrs.field(converter=datetime)
    file: str | None = attrs.field(default=None, converter=optional_text)
    records: int = attrs.field(default=0, converter=integer)
