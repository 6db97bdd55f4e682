"""Values shared by several records: people, sources and the visibility of a record.

Constraints on values (patterns, ranges, known codes) live in the JSON Schemas and the semantic
checks, not here: an attrs validator would raise without the JSON path of the bad field.
"""

from __future__ import annotations

import datetime as dt

import attrs

#: Visibility codes, from the most open to the most closed (the ``visibility`` vocabulary).
VISIBILITIES: tuple[str, ...] = ("public", "network", "restricted", "private")


@attrs.define(kw_only=True, frozen=True)
class Person:
    """A contact person, speaker or facilitator: professional details only.

    No free text is kept about a person, so nothing about health, opinions or union membership
    can slip in. Every field but the name is optional, and a public export drops the whole value.
    """

    name: str
    role: str | None = None
    email: str | None = None
    phone: str | None = None


@attrs.define(kw_only=True, frozen=True)
class Source:
    """The network that publishes a bundle: its slug (the prefix of its ids) and its name."""

    slug: str
    name: str
    url: str | None = None
    contact_email: str | None = None


@attrs.define(kw_only=True, frozen=True)
class Provenance:
    """One bundle that went into a merged bundle: who published it, when, and what it held."""

    source: Source
    generated_at: dt.datetime
    file: str | None = None
    records: int = 0
