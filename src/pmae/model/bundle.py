"""The bundle: what one network publishes, one collection per kind of record."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Final

import attrs

from pmae.model.common import Provenance, Source
from pmae.model.records import (
    Actor,
    Association,
    Diagnosis,
    Meeting,
    Need,
    Offer,
    Production,
    Programme,
    Record,
    Referral,
    Resource,
)

#: The version of the bundle format this code writes (semver: additive changes bump the minor).
FORMAT_VERSION: Final = "1.0.0"

#: Collection name -> record class, in the order they are written.
COLLECTIONS: Final[dict[str, type[Record]]] = {
    "actors": Actor,
    "offers": Offer,
    "associations": Association,
    "diagnoses": Diagnosis,
    "needs": Need,
    "referrals": Referral,
    "meetings": Meeting,
    "productions": Production,
    "resources": Resource,
    "programmes": Programme,
}

#: Record class -> collection name.
COLLECTION_OF: Final[dict[type[Record], str]] = {cls: name for name, cls in COLLECTIONS.items()}


@attrs.define(kw_only=True, frozen=True)
class Bundle:
    """One JSON document a network publishes: who, when, under which licence, and its records."""

    format_version: str = FORMAT_VERSION
    source: Source
    generated_at: dt.datetime
    licence: str = "etalab-2.0"
    description: str | None = None
    provenance: tuple[Provenance, ...] = ()
    actors: tuple[Actor, ...] = ()
    offers: tuple[Offer, ...] = ()
    associations: tuple[Association, ...] = ()
    diagnoses: tuple[Diagnosis, ...] = ()
    needs: tuple[Need, ...] = ()
    referrals: tuple[Referral, ...] = ()
    meetings: tuple[Meeting, ...] = ()
    productions: tuple[Production, ...] = ()
    resources: tuple[Resource, ...] = ()
    programmes: tuple[Programme, ...] = ()

    def records(self) -> Iterator[tuple[str, Record]]:
        """Every record with its collection name, collection by collection."""
        for name in COLLECTIONS:
            for record in getattr(self, name):
                yield name, record

    def counts(self) -> dict[str, int]:
        """How many records each collection holds."""
        return {name: len(getattr(self, name)) for name in COLLECTIONS}

    def index(self) -> dict[str, Record]:
        """Every record by id (the last one wins where ids repeat: checks report duplicates)."""
        return {record.id: record for _, record in self.records()}
