"""The records of the démarche PMAE (DESIGN §2).

Every record has an ``id`` written ``<source>:<local>``, where ``source`` is the slug of the
network that publishes it, so ids stay unique when bundles from several networks are merged.
References between records are by id. Every record carries a ``visibility`` (and, when it is
``restricted``, the ``recipients``: network slugs or actor ids allowed to see it).

Collections are tuples and records are frozen, so a loaded bundle can be shared and hashed by
identity without anyone changing it underneath another part of the program.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

import attrs

from pmae.model.common import Person
from pmae.model.fields import (
    Answer,
    FrozenDict,
    answers,
    codes,
    date,
    datetime,
    flag,
    instance,
    instances,
    integer,
    levels,
    named_errors,
    optional_date,
    optional_datetime,
    optional_flag,
    optional_integer,
    optional_number,
    optional_text,
    scores,
    text,
)

__all__ = ["Answer"]  # re-exported: the io layer reads it from here


def _people(value: Iterable[Person]) -> tuple[Person, ...]:
    return instances(value, Person)


def _optional_person(value: Person | None) -> Person | None:
    return value if value is None else instance(value, Person)


@named_errors
@attrs.define(kw_only=True, frozen=True)
class Actor:
    """A support organisation (network, DLA host, maison des associations, funder, authority…)."""

    id: str = attrs.field(converter=text)
    name: str = attrs.field(converter=text)
    actor_type: str = attrs.field(converter=text)
    description: str | None = attrs.field(default=None, converter=optional_text)
    labels: tuple[str, ...] = attrs.field(default=(), converter=codes)
    networks: tuple[str, ...] = attrs.field(default=(), converter=codes)
    territories: tuple[str, ...] = attrs.field(default=(), converter=codes)
    commune: str | None = attrs.field(default=None, converter=optional_text)
    address: str | None = attrs.field(default=None, converter=optional_text)
    siret: str | None = attrs.field(default=None, converter=optional_text)
    website: str | None = attrs.field(default=None, converter=optional_text)
    email: str | None = attrs.field(default=None, converter=optional_text)
    phone: str | None = attrs.field(default=None, converter=optional_text)
    contacts: tuple[Person, ...] = attrs.field(default=(), converter=_people)
    visibility: str = attrs.field(default="public", converter=text)
    recipients: tuple[str, ...] = attrs.field(default=(), converter=codes)


@named_errors
@attrs.define(kw_only=True, frozen=True)
class Offer:
    """A support service an actor provides: on which themes, at which stages, where, for whom."""

    id: str = attrs.field(converter=text)
    actor: str = attrs.field(converter=text)
    title: str = attrs.field(converter=text)
    description: str | None = attrs.field(default=None, converter=optional_text)
    themes: tuple[str, ...] = attrs.field(default=(), converter=codes)
    stages: tuple[str, ...] = attrs.field(default=(), converter=codes)
    territories: tuple[str, ...] = attrs.field(default=(), converter=codes)
    size_bands: tuple[str, ...] = attrs.field(default=(), converter=codes)
    sectors: tuple[str, ...] = attrs.field(default=(), converter=codes)
    formats: tuple[str, ...] = attrs.field(default=(), converter=codes)
    delivery: str | None = attrs.field(default=None, converter=optional_text)
    cost: str | None = attrs.field(default=None, converter=optional_text)
    valid_from: dt.date | None = attrs.field(default=None, converter=optional_date)
    valid_until: dt.date | None = attrs.field(default=None, converter=optional_date)
    url: str | None = attrs.field(default=None, converter=optional_text)
    visibility: str = attrs.field(default="public", converter=text)
    recipients: tuple[str, ...] = attrs.field(default=(), converter=codes)


@named_errors
@attrs.define(kw_only=True, frozen=True)
class Association:
    """A small employer association, beneficiary of the support."""

    id: str = attrs.field(converter=text)
    name: str = attrs.field(converter=text)
    rna: str | None = attrs.field(default=None, converter=optional_text)
    siren: str | None = attrs.field(default=None, converter=optional_text)
    siret: str | None = attrs.field(default=None, converter=optional_text)
    sector: str | None = attrs.field(default=None, converter=optional_text)
    headcount: int | None = attrs.field(default=None, converter=optional_integer)
    fte: float | None = attrs.field(default=None, converter=optional_number)
    size_band: str | None = attrs.field(default=None, converter=optional_text)
    commune: str | None = attrs.field(default=None, converter=optional_text)
    idcc: str | None = attrs.field(default=None, converter=optional_text)
    founded: dt.date | None = attrs.field(default=None, converter=optional_date)
    visibility: str = attrs.field(default="restricted", converter=text)
    recipients: tuple[str, ...] = attrs.field(default=(), converter=codes)


@named_errors
@attrs.define(kw_only=True, frozen=True)
class Diagnosis:
    """One filled-in diagnostic tool for one association, with its results."""

    id: str = attrs.field(converter=text)
    association: str = attrs.field(converter=text)
    tool: str = attrs.field(converter=text)
    tool_version: str = attrs.field(converter=text)
    date: dt.date = attrs.field(converter=date)
    # Read-only mappings (FrozenDict): a plugin or an analysis cannot change what others see.
    answers: Mapping[str, Answer] = attrs.field(factory=FrozenDict, converter=answers)
    scores: Mapping[str, float] = attrs.field(factory=FrozenDict, converter=scores)
    levels: Mapping[str, str] = attrs.field(factory=FrozenDict, converter=levels)
    completeness: float | None = attrs.field(default=None, converter=optional_number)
    alerts: tuple[str, ...] = attrs.field(default=(), converter=codes)
    needs: tuple[str, ...] = attrs.field(default=(), converter=codes)
    advisor: str | None = attrs.field(default=None, converter=optional_text)
    visibility: str = attrs.field(default="restricted", converter=text)
    recipients: tuple[str, ...] = attrs.field(default=(), converter=codes)


@named_errors
@attrs.define(kw_only=True, frozen=True)
class Need:
    """A support need, derived from a diagnosis, declared, or detected at a meeting."""

    id: str = attrs.field(converter=text)
    theme: str = attrs.field(converter=text)
    origin: str = attrs.field(converter=text)
    date: dt.date = attrs.field(converter=date)
    association: str | None = attrs.field(default=None, converter=optional_text)
    diagnosis: str | None = attrs.field(default=None, converter=optional_text)
    stage: str | None = attrs.field(default=None, converter=optional_text)
    priority: int = attrs.field(default=2, converter=integer)
    intensity: float | None = attrs.field(default=None, converter=optional_number)
    territory: str | None = attrs.field(default=None, converter=optional_text)
    size_band: str | None = attrs.field(default=None, converter=optional_text)
    sector: str | None = attrs.field(default=None, converter=optional_text)
    status: str = attrs.field(default="ouvert", converter=text)
    visibility: str = attrs.field(default="restricted", converter=text)
    recipients: tuple[str, ...] = attrs.field(default=(), converter=codes)


@named_errors
@attrs.define(kw_only=True, frozen=True)
class Referral:
    """An orientation of an association, for one need, to an offer, by an actor."""

    id: str = attrs.field(converter=text)
    need: str = attrs.field(converter=text)
    offer: str = attrs.field(converter=text)
    by: str = attrs.field(converter=text)
    date: dt.date = attrs.field(converter=date)
    outcome: str = attrs.field(default="propose", converter=text)
    visibility: str = attrs.field(default="restricted", converter=text)
    recipients: tuple[str, ...] = attrs.field(default=(), converter=codes)


@named_errors
@attrs.define(kw_only=True, frozen=True)
class Speaker:
    """Someone who speaks at a meeting; ``outside`` marks the outside expert of a Rencontre.

    ``person`` is left out of public exports (personal data), the rest stays.
    """

    person: Person | None = attrs.field(default=None, converter=_optional_person)
    organisation: str | None = attrs.field(default=None, converter=optional_text)
    actor: str | None = attrs.field(default=None, converter=optional_text)
    outside: bool = attrs.field(default=False, converter=flag)
    topic: str | None = attrs.field(default=None, converter=optional_text)


@named_errors
@attrs.define(kw_only=True, frozen=True)
class Workshop:
    """An exchange workshop inside a meeting."""

    title: str = attrs.field(converter=text)
    themes: tuple[str, ...] = attrs.field(default=(), converter=codes)
    facilitators: tuple[str, ...] = attrs.field(default=(), converter=codes)
    start: dt.datetime | None = attrs.field(default=None, converter=optional_datetime)
    end: dt.datetime | None = attrs.field(default=None, converter=optional_datetime)
    room: str | None = attrs.field(default=None, converter=optional_text)


@named_errors
@attrs.define(kw_only=True, frozen=True)
class Registration:
    """An actor registered to a meeting: how many people, and whether it came.

    ``attended`` is None while it is not yet known.
    """

    actor: str = attrs.field(converter=text)
    participants: int = attrs.field(default=1, converter=integer)
    attended: bool | None = attrs.field(default=None, converter=optional_flag)


def _speakers(value: Iterable[Speaker]) -> tuple[Speaker, ...]:
    return instances(value, Speaker)


def _workshops(value: Iterable[Workshop]) -> tuple[Workshop, ...]:
    return instances(value, Workshop)


def _registrations(value: Iterable[Registration]) -> tuple[Registration, ...]:
    return instances(value, Registration)


@named_errors
@attrs.define(kw_only=True, frozen=True)
class Meeting:
    """A COFIL half-day, a Rencontre régionale, a workshop or another meeting of the démarche."""

    id: str = attrs.field(converter=text)
    kind: str = attrs.field(converter=text)
    title: str = attrs.field(converter=text)
    start: dt.datetime = attrs.field(converter=datetime)
    end: dt.datetime = attrs.field(converter=datetime)
    status: str = attrs.field(default="tenue", converter=text)
    place: str | None = attrs.field(default=None, converter=optional_text)
    commune: str | None = attrs.field(default=None, converter=optional_text)
    themes: tuple[str, ...] = attrs.field(default=(), converter=codes)
    organisers: tuple[str, ...] = attrs.field(default=(), converter=codes)
    speakers: tuple[Speaker, ...] = attrs.field(default=(), converter=_speakers)
    workshops: tuple[Workshop, ...] = attrs.field(default=(), converter=_workshops)
    registrations: tuple[Registration, ...] = attrs.field(default=(), converter=_registrations)
    productions: tuple[str, ...] = attrs.field(default=(), converter=codes)
    visibility: str = attrs.field(default="public", converter=text)
    recipients: tuple[str, ...] = attrs.field(default=(), converter=codes)


@named_errors
@attrs.define(kw_only=True, frozen=True)
class Production:
    """A collective output of the démarche: a thematic sheet (Les ESSentiels), a tool, a guide."""

    id: str = attrs.field(converter=text)
    kind: str = attrs.field(converter=text)
    title: str = attrs.field(converter=text)
    year: int = attrs.field(converter=integer)
    themes: tuple[str, ...] = attrs.field(default=(), converter=codes)
    authors: tuple[str, ...] = attrs.field(default=(), converter=codes)
    resources: tuple[str, ...] = attrs.field(default=(), converter=codes)
    meeting: str | None = attrs.field(default=None, converter=optional_text)
    status: str = attrs.field(default="publiee", converter=text)
    url: str | None = attrs.field(default=None, converter=optional_text)
    visibility: str = attrs.field(default="public", converter=text)
    recipients: tuple[str, ...] = attrs.field(default=(), converter=codes)


@named_errors
@attrs.define(kw_only=True, frozen=True)
class Resource:
    """A tool or document that thematic sheets point to."""

    id: str = attrs.field(converter=text)
    title: str = attrs.field(converter=text)
    kind: str = attrs.field(converter=text)
    publisher: str | None = attrs.field(default=None, converter=optional_text)
    url: str | None = attrs.field(default=None, converter=optional_text)
    themes: tuple[str, ...] = attrs.field(default=(), converter=codes)
    description: str | None = attrs.field(default=None, converter=optional_text)
    visibility: str = attrs.field(default="public", converter=text)
    recipients: tuple[str, ...] = attrs.field(default=(), converter=codes)


@named_errors
@attrs.define(kw_only=True, frozen=True)
class Programme:
    """The steering group's annual programme: the meetings and productions planned for a year."""

    id: str = attrs.field(converter=text)
    year: int = attrs.field(converter=integer)
    title: str = attrs.field(converter=text)
    priorities: tuple[str, ...] = attrs.field(default=(), converter=codes)
    meetings: tuple[str, ...] = attrs.field(default=(), converter=codes)
    productions: tuple[str, ...] = attrs.field(default=(), converter=codes)
    visibility: str = attrs.field(default="public", converter=text)
    recipients: tuple[str, ...] = attrs.field(default=(), converter=codes)


@named_errors
@attrs.define(kw_only=True, frozen=True)
class Response:
    """A collective response of the démarche to observed needs (format 1.1).

    What it answers (themes × stages × territories), the actors that carry it, the meeting or
    programme where it was decided, its dates, how far it has gone (``status``, a code of
    ``response_statuses``) and the offers and productions it created.
    """

    id: str = attrs.field(converter=text)
    title: str = attrs.field(converter=text)
    description: str | None = attrs.field(default=None, converter=optional_text)
    themes: tuple[str, ...] = attrs.field(default=(), converter=codes)
    stages: tuple[str, ...] = attrs.field(default=(), converter=codes)
    territories: tuple[str, ...] = attrs.field(default=(), converter=codes)
    actors: tuple[str, ...] = attrs.field(default=(), converter=codes)
    meeting: str | None = attrs.field(default=None, converter=optional_text)
    programme: str | None = attrs.field(default=None, converter=optional_text)
    decided_on: dt.date | None = attrs.field(default=None, converter=optional_date)
    started_on: dt.date | None = attrs.field(default=None, converter=optional_date)
    ended_on: dt.date | None = attrs.field(default=None, converter=optional_date)
    status: str = attrs.field(default="envisagee", converter=text)
    offers: tuple[str, ...] = attrs.field(default=(), converter=codes)
    productions: tuple[str, ...] = attrs.field(default=(), converter=codes)
    visibility: str = attrs.field(default="public", converter=text)
    recipients: tuple[str, ...] = attrs.field(default=(), converter=codes)


@named_errors
@attrs.define(kw_only=True, frozen=True)
class Practice:
    """A practice or expertise brought out at a meeting or by an actor (format 1.1)."""

    id: str = attrs.field(converter=text)
    title: str = attrs.field(converter=text)
    description: str | None = attrs.field(default=None, converter=optional_text)
    actors: tuple[str, ...] = attrs.field(default=(), converter=codes)
    themes: tuple[str, ...] = attrs.field(default=(), converter=codes)
    stages: tuple[str, ...] = attrs.field(default=(), converter=codes)
    territories: tuple[str, ...] = attrs.field(default=(), converter=codes)
    meeting: str | None = attrs.field(default=None, converter=optional_text)
    resources: tuple[str, ...] = attrs.field(default=(), converter=codes)
    visibility: str = attrs.field(default="public", converter=text)
    recipients: tuple[str, ...] = attrs.field(default=(), converter=codes)


Record = (
    Actor | Offer | Association | Diagnosis | Need | Referral | Meeting | Production | Resource
    | Programme | Response | Practice
)
