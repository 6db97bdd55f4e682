"""What a thematic sheet shows, as plain values: the renderers only lay them out.

Labels are resolved when the sheet is built (in the sheet's language), so rendering needs
neither the vocabularies nor the territories, and a sheet can be rendered again as it was.
"""

from __future__ import annotations

import datetime as dt

import attrs

from pmae.model import Actor, Meeting, Offer, Practice, Production, Resource

__all__ = [
    "Sheet",
    "SheetActor",
    "SheetMeeting",
    "SheetOffer",
    "SheetPractice",
    "SheetProduction",
    "SheetResource",
    "SheetSource",
    "SheetStage",
]


@attrs.define(kw_only=True, frozen=True)
class SheetResource:
    """A tool or document on the theme, with its kind and publisher as words."""

    resource: Resource
    kind_label: str
    publisher: str | None


@attrs.define(kw_only=True, frozen=True)
class SheetOffer:
    """An offer listed at one stage: its actor's name, where it is open, and its cost.

    ``local`` marks an offer open in part of the sheet's département only (a commune's).
    """

    offer: Offer
    actor_name: str
    where: str
    cost_label: str | None
    local: bool = False


@attrs.define(kw_only=True, frozen=True)
class SheetStage:
    """One stage of the support chain and the offers on the theme at that stage.

    ``stage`` is ``None`` for the offers that give no stage.
    """

    stage: str | None
    label: str
    offers: tuple[SheetOffer, ...]


@attrs.define(kw_only=True, frozen=True)
class SheetActor:
    """An actor with at least one offer on the sheet, and its type as words."""

    actor: Actor
    type_label: str
    where: str


@attrs.define(kw_only=True, frozen=True)
class SheetMeeting:
    """A meeting on the theme (its themes, or one of its workshops)."""

    meeting: Meeting
    kind_label: str
    workshops: tuple[str, ...]  # titles of the workshops on the theme


@attrs.define(kw_only=True, frozen=True)
class SheetProduction:
    """A production of the démarche on the theme."""

    production: Production
    kind_label: str


@attrs.define(kw_only=True, frozen=True)
class SheetPractice:
    """A practice brought out on the theme (format 1.1): who brought it, the meeting where it
    was presented, and the resources that document it, as the audience sees them."""

    practice: Practice
    actor_names: tuple[str, ...]
    meeting_title: str | None
    meeting_date: dt.date | None
    resources: tuple[Resource, ...]


@attrs.define(kw_only=True, frozen=True)
class SheetSource:
    """Where the data comes from: a publishing network and the date it published its data."""

    name: str
    url: str | None
    published: dt.date


@attrs.define(kw_only=True, frozen=True)
class Sheet:
    """A thematic sheet (*Les ESSentiels*): everything it shows, for one theme and territory."""

    theme: str
    title: str
    theme_label: str
    theme_description: str
    group: str | None
    group_label: str | None
    lang: str
    audience: str
    audience_label: str
    #: ``dep:NN`` when the sheet is for a département, else ``None`` (every territory).
    departement: str | None
    territory_label: str
    #: The reference date: offers in force that day are listed; the sheet's date.
    date: dt.date
    resources: tuple[SheetResource, ...]
    chain: tuple[SheetStage, ...]
    actors: tuple[SheetActor, ...]
    meetings: tuple[SheetMeeting, ...]
    productions: tuple[SheetProduction, ...]
    sources: tuple[SheetSource, ...]
    licence: str
    #: The practices on the theme (empty: the sheet has no such section).
    practices: tuple[SheetPractice, ...] = ()

    def offers(self) -> tuple[Offer, ...]:
        """Every offer the sheet lists, once, in the order of the chain."""
        seen: dict[str, Offer] = {}
        for step in self.chain:
            for entry in step.offers:
                seen.setdefault(entry.offer.id, entry.offer)
        return tuple(seen.values())
