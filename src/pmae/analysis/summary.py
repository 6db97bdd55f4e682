"""A summary of a bundle: who supports, with what, the needs, the year's meetings.

The figures are computed here and rendered separately (:func:`pmae.render.summary.summary_text`
for a terminal), so the command line, the HTML report and plugins can show the same numbers in
their own way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING

import attrs

from pmae.model import Actor, Bundle, Meeting
from pmae.sessions import session as current_session
from pmae.territories import Territories, TerritoryError

if TYPE_CHECKING:
    from pmae.sessions import Session

__all__ = ["BEYOND_ONE_DEPARTEMENT", "Summary", "actor_departement", "summarize"]

#: Key used for actors that work beyond a single département.
BEYOND_ONE_DEPARTEMENT = "*"


@attrs.define(kw_only=True, frozen=True)
class Summary:
    """The figures of :func:`summarize`."""

    source: str
    counts: Mapping[str, int]
    actors_by_type: Mapping[str, int]
    actors_by_departement: Mapping[str, int]
    offers_by_theme_stage: Mapping[str, Mapping[str, int]]
    needs_by_theme: Mapping[str, int]
    meetings: tuple[Meeting, ...]


def actor_departement(actor: Actor, territories: Territories) -> str:
    """The département an actor belongs to: its commune's, or the one it serves alone.

    Returns :data:`BEYOND_ONE_DEPARTEMENT` for actors serving a région or several départements.
    """
    try:
        if actor.territories:
            served = {d for code in actor.territories for d in territories.departements(code)}
            if len(served) == 1:
                return served.pop()
            return BEYOND_ONE_DEPARTEMENT
        if actor.commune:
            (departement,) = territories.departements(actor.commune)
            return departement
    except (TerritoryError, ValueError):
        pass
    return BEYOND_ONE_DEPARTEMENT


def summarize(bundle: Bundle, *, territories: Territories | None = None,
              session: Session | None = None) -> Summary:
    """Count actors, offers, needs and list the meetings of a bundle.

    :param territories: place actors in départements with these (default: the session's).
    :param session: default :func:`pmae.session`.
    """
    territories = territories or current_session(session).territories
    theme_stage: dict[str, Counter[str]] = {}
    for offer in bundle.offers:
        for theme in offer.themes:
            row = theme_stage.setdefault(theme, Counter())
            for stage in offer.stages:
                row[stage] += 1
    return Summary(
        source=bundle.source.name,
        counts=bundle.counts(),
        actors_by_type=dict(Counter(a.actor_type for a in bundle.actors).most_common()),
        actors_by_departement=dict(sorted(Counter(
            actor_departement(a, territories) for a in bundle.actors).items())),
        offers_by_theme_stage={t: dict(c) for t, c in theme_stage.items()},
        needs_by_theme=dict(Counter(n.theme for n in bundle.needs).most_common()),
        meetings=tuple(sorted(bundle.meetings, key=lambda m: m.start)),
    )
