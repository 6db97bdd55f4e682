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

import attrs

from pmae.model.common import Person

Answer = int | float | str | None
"""One answer of a diagnostic questionnaire: a scale step, a number, a code, or no answer."""


@attrs.define(kw_only=True, frozen=True)
class Actor:
    """A support organisation (network, DLA host, maison des associations, funder, authority…)."""

    id: str
    name: str
    actor_type: str
    description: str | None = None
    labels: tuple[str, ...] = ()
    networks: tuple[str, ...] = ()
    territories: tuple[str, ...] = ()
    commune: str | None = None
    address: str | None = None
    siret: str | None = None
    website: str | None = None
    email: str | None = None
    phone: str | None = None
    contacts: tuple[Person, ...] = ()
    visibility: str = "public"
    recipients: tuple[str, ...] = ()


@attrs.define(kw_only=True, frozen=True)
class Offer:
    """A support service an actor provides: on which themes, at which stages, where, for whom."""

    id: str
    actor: str
    title: str
    description: str | None = None
    themes: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()
    territories: tuple[str, ...] = ()
    size_bands: tuple[str, ...] = ()
    sectors: tuple[str, ...] = ()
    formats: tuple[str, ...] = ()
    delivery: str | None = None
    cost: str | None = None
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    url: str | None = None
    visibility: str = "public"
    recipients: tuple[str, ...] = ()


@attrs.define(kw_only=True, frozen=True)
class Association:
    """A small employer association, beneficiary of the support."""

    id: str
    name: str
    rna: str | None = None
    siren: str | None = None
    siret: str | None = None
    sector: str | None = None
    headcount: int | None = None
    fte: float | None = None
    size_band: str | None = None
    commune: str | None = None
    idcc: str | None = None
    founded: dt.date | None = None
    visibility: str = "restricted"
    recipients: tuple[str, ...] = ()


@attrs.define(kw_only=True, frozen=True)
class Diagnosis:
    """One filled-in diagnostic tool for one association, with its results."""

    id: str
    association: str
    tool: str
    tool_version: str
    date: dt.date
    answers: dict[str, Answer] = attrs.field(factory=dict)
    scores: dict[str, float] = attrs.field(factory=dict)
    levels: dict[str, str] = attrs.field(factory=dict)
    completeness: float | None = None
    alerts: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    advisor: str | None = None
    visibility: str = "restricted"
    recipients: tuple[str, ...] = ()


@attrs.define(kw_only=True, frozen=True)
class Need:
    """A support need, derived from a diagnosis, declared, or detected at a meeting."""

    id: str
    theme: str
    origin: str
    date: dt.date
    association: str | None = None
    diagnosis: str | None = None
    stage: str | None = None
    priority: int = 2
    intensity: float | None = None
    territory: str | None = None
    size_band: str | None = None
    sector: str | None = None
    status: str = "ouvert"
    visibility: str = "restricted"
    recipients: tuple[str, ...] = ()


@attrs.define(kw_only=True, frozen=True)
class Referral:
    """An orientation of an association, for one need, to an offer, by an actor."""

    id: str
    need: str
    offer: str
    by: str
    date: dt.date
    outcome: str = "propose"
    visibility: str = "restricted"
    recipients: tuple[str, ...] = ()


@attrs.define(kw_only=True, frozen=True)
class Speaker:
    """Someone who speaks at a meeting; ``outside`` marks the outside expert of a Rencontre.

    ``person`` is left out of public exports (personal data), the rest stays.
    """

    person: Person | None = None
    organisation: str | None = None
    actor: str | None = None
    outside: bool = False
    topic: str | None = None


@attrs.define(kw_only=True, frozen=True)
class Workshop:
    """An exchange workshop inside a meeting."""

    title: str
    themes: tuple[str, ...] = ()
    facilitators: tuple[str, ...] = ()
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    room: str | None = None


@attrs.define(kw_only=True, frozen=True)
class Registration:
    """An actor registered to a meeting: how many people, and whether it came.

    ``attended`` is None while it is not yet known.
    """

    actor: str
    participants: int = 1
    attended: bool | None = None


@attrs.define(kw_only=True, frozen=True)
class Meeting:
    """A COFIL half-day, a Rencontre régionale, a workshop or another meeting of the démarche."""

    id: str
    kind: str
    title: str
    start: dt.datetime
    end: dt.datetime
    status: str = "tenue"
    place: str | None = None
    commune: str | None = None
    themes: tuple[str, ...] = ()
    organisers: tuple[str, ...] = ()
    speakers: tuple[Speaker, ...] = ()
    workshops: tuple[Workshop, ...] = ()
    registrations: tuple[Registration, ...] = ()
    productions: tuple[str, ...] = ()
    visibility: str = "public"
    recipients: tuple[str, ...] = ()


@attrs.define(kw_only=True, frozen=True)
class Production:
    """A collective output of the démarche: a thematic sheet (Les ESSentiels), a tool, a guide."""

    id: str
    kind: str
    title: str
    year: int
    themes: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    meeting: str | None = None
    status: str = "publiee"
    url: str | None = None
    visibility: str = "public"
    recipients: tuple[str, ...] = ()


@attrs.define(kw_only=True, frozen=True)
class Resource:
    """A tool or document that thematic sheets point to."""

    id: str
    title: str
    kind: str
    publisher: str | None = None
    url: str | None = None
    themes: tuple[str, ...] = ()
    description: str | None = None
    visibility: str = "public"
    recipients: tuple[str, ...] = ()


@attrs.define(kw_only=True, frozen=True)
class Programme:
    """The steering group's annual programme: the meetings and productions planned for a year."""

    id: str
    year: int
    title: str
    priorities: tuple[str, ...] = ()
    meetings: tuple[str, ...] = ()
    productions: tuple[str, ...] = ()
    visibility: str = "public"
    recipients: tuple[str, ...] = ()


Record = (
    Actor | Offer | Association | Diagnosis | Need | Referral | Meeting | Production | Resource
    | Programme
)
