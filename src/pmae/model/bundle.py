"""The bundle: what one network publishes, one collection per kind of record."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from typing import Final, TypeVar

import attrs

from pmae.model.common import Provenance, Source
from pmae.model.fields import datetime, instance, instances, named_errors, optional_text, text
from pmae.model.records import (
    Actor,
    Association,
    Diagnosis,
    Meeting,
    Need,
    Offer,
    Practice,
    Production,
    Programme,
    Record,
    Referral,
    Resource,
    Response,
)

#: The version of the bundle format this code writes (semver: additive changes bump the minor).
FORMAT_VERSION: Final = "1.1.0"

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
    # Format 1.1: collective responses and the practices meetings bring out.
    "responses": Response,
    "practices": Practice,
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


def _actors(value: Iterable[Actor]) -> tuple[Actor, ...]:
    return instances(value, Actor)


def _offers(value: Iterable[Offer]) -> tuple[Offer, ...]:
    return instances(value, Offer)


def _associations(value: Iterable[Association]) -> tuple[Association, ...]:
    return instances(value, Association)


def _diagnoses(value: Iterable[Diagnosis]) -> tuple[Diagnosis, ...]:
    return instances(value, Diagnosis)


def _needs(value: Iterable[Need]) -> tuple[Need, ...]:
    return instances(value, Need)


def _referrals(value: Iterable[Referral]) -> tuple[Referral, ...]:
    return instances(value, Referral)


def _meetings(value: Iterable[Meeting]) -> tuple[Meeting, ...]:
    return instances(value, Meeting)


def _productions(value: Iterable[Production]) -> tuple[Production, ...]:
    return instances(value, Production)


def _resources(value: Iterable[Resource]) -> tuple[Resource, ...]:
    return instances(value, Resource)


def _programmes(value: Iterable[Programme]) -> tuple[Programme, ...]:
    return instances(value, Programme)


def _responses(value: Iterable[Response]) -> tuple[Response, ...]:
    return instances(value, Response)


def _practices(value: Iterable[Practice]) -> tuple[Practice, ...]:
    return instances(value, Practice)


def _provenances(value: Iterable[Provenance]) -> tuple[Provenance, ...]:
    return instances(value, Provenance)


def _source(value: Source) -> Source:
    return instance(value, Source)


@named_errors
@attrs.define(kw_only=True, frozen=True)
class Bundle:
    """One JSON document a network publishes: who, when, under which licence, and its records."""

    format_version: str = attrs.field(default=FORMAT_VERSION, converter=text)
    source: Source = attrs.field(converter=_source)
    generated_at: dt.datetime = attrs.field(converter=datetime)
    licence: str = attrs.field(default="etalab-2.0", converter=text)
    description: str | None = attrs.field(default=None, converter=optional_text)
    #: Who the bundle was filtered for (``public``, ``network``, ``recipient:<who>``,
    #: ``all``); ``None`` when it was not: see :func:`pmae.io.audience.filter_bundle`.
    audience: str | None = attrs.field(default=None, converter=optional_text)
    provenance: tuple[Provenance, ...] = attrs.field(default=(), converter=_provenances)
    actors: tuple[Actor, ...] = attrs.field(default=(), converter=_actors)
    offers: tuple[Offer, ...] = attrs.field(default=(), converter=_offers)
    associations: tuple[Association, ...] = attrs.field(default=(), converter=_associations)
    diagnoses: tuple[Diagnosis, ...] = attrs.field(default=(), converter=_diagnoses)
    needs: tuple[Need, ...] = attrs.field(default=(), converter=_needs)
    referrals: tuple[Referral, ...] = attrs.field(default=(), converter=_referrals)
    meetings: tuple[Meeting, ...] = attrs.field(default=(), converter=_meetings)
    productions: tuple[Production, ...] = attrs.field(default=(), converter=_productions)
    resources: tuple[Resource, ...] = attrs.field(default=(), converter=_resources)
    programmes: tuple[Programme, ...] = attrs.field(default=(), converter=_programmes)
    responses: tuple[Response, ...] = attrs.field(default=(), converter=_responses)
    practices: tuple[Practice, ...] = attrs.field(default=(), converter=_practices)

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
            responses=replaced("responses", Response, self.responses),
            practices=replaced("practices", Practice, self.practices),
        )
