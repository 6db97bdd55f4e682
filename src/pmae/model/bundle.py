"""The bundle: what one network publishes, one collection per kind of record."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from typing import Final, TypeVar

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

_R = TypeVar("_R", bound=Record)


def _collection(cls: type[_R], records: Iterable[Record]) -> tuple[_R, ...]:
    """``records`` as a collection of ``cls``: another kind of record there is a bug."""
    checked: list[_R] = []
    for record in records:
        if not isinstance(record, cls):
            raise TypeError(f"a {type(record).__name__} in a collection of {cls.__name__}")
        checked.append(record)
    return tuple(checked)


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

    def with_collections(self, collections: Mapping[str, Iterable[Record]]) -> Bundle:
        """This bundle with the collections that ``collections`` names holding its records.

        :param collections: collection name -> records; the collections it leaves out are kept.
        :raises ValueError: for a name that is not a collection.
        :raises TypeError: for a record of another kind than its collection's.
        """
        unknown = sorted(set(collections) - COLLECTIONS.keys())
        if unknown:
            raise ValueError(f"not collections of a bundle: {', '.join(unknown)}")

        def replaced(name: str, cls: type[_R], current: tuple[_R, ...]) -> tuple[_R, ...]:
            return _collection(cls, collections[name]) if name in collections else current

        return attrs.evolve(
            self,
            actors=replaced("actors", Actor, self.actors),
            offers=replaced("offers", Offer, self.offers),
            associations=replaced("associations", Association, self.associations),
            diagnoses=replaced("diagnoses", Diagnosis, self.diagnoses),
            needs=replaced("needs", Need, self.needs),
            referrals=replaced("referrals", Referral, self.referrals),
            meetings=replaced("meetings", Meeting, self.meetings),
            productions=replaced("productions", Production, self.productions),
            resources=replaced("resources", Resource, self.resources),
            programmes=replaced("programmes", Programme, self.programmes),
        )
