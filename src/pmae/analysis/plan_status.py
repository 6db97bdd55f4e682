"""Following the responses of the action plan, and measuring their effect from the data.

For each response of a bundle: its status, what it answers, and — for a response that created
offers — its **effect** on the coverage of its themes × territories (× its stages, every stage
when it names none):

- *before*: the coverage on the day before the response started (``started_on``, else
  ``decided_on``), without the offers it created (they did not exist then);
- *after*: the coverage on the reference date, with every offer in force.

Each side counts the grid cells of the response's scope that are zones blanches, and the cells
that moved from zone blanche to covered are listed. The **needs observed since** the response
started (its themes, in its territories) are counted as the shared diagnosis would publish them:
the count is given only when its distinct associations reach the secrecy rules'
``min_contributors`` (``None`` otherwise), so following a response tells nothing the protected
tables would not.

Nothing of this is stated in the response: it is computed from the offers and the needs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import attrs

from pmae.analysis.coverage import Coverage, coverage
from pmae.analysis.plan import overlaps
from pmae.analysis.shared_diagnosis import SecrecyRules
from pmae.model import Bundle, Need, Response
from pmae.sessions import session as current_session

if TYPE_CHECKING:
    from pmae.sessions import Session
    from pmae.territories import Territories

__all__ = ["Effect", "ResponseStatus", "follow", "scope_cells"]

Cell = tuple[str, str, str]


@attrs.define(kw_only=True, frozen=True)
class Effect:
    """The coverage of a response's scope before and after it, and the needs since."""

    #: The day the *before* side is computed for (the day before the response started).
    before_on: dt.date
    after_on: dt.date
    #: Cells of the scope (territory, theme, stage) in the grid.
    cells: int
    gaps_before: int
    gaps_after: int
    #: Cells that were zones blanches before and are covered after, in grid order.
    closed: tuple[Cell, ...]
    #: Needs observed since the response started (``None``: fewer associations than secrecy
    #: allows to publish).
    needs_since: int | None

    def to_json(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        return {"before_on": self.before_on.isoformat(), "after_on": self.after_on.isoformat(),
                "cells": self.cells, "gaps_before": self.gaps_before,
                "gaps_after": self.gaps_after, "needs_since": self.needs_since,
                "closed": [{"territory": t, "theme": h, "stage": s} for t, h, s in self.closed]}


@attrs.define(kw_only=True, frozen=True)
class ResponseStatus:
    """One response as it stands, with its effect when it created offers."""

    response: Response
    #: Offers it created that the bundle holds.
    offers: tuple[str, ...]
    effect: Effect | None

    def to_json(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        r = self.response
        return {"id": r.id, "title": r.title, "status": r.status, "themes": list(r.themes),
                "stages": list(r.stages), "territories": list(r.territories),
                "actors": list(r.actors),
                "decided_on": r.decided_on.isoformat() if r.decided_on else None,
                "offers": list(self.offers),
                "effect": self.effect.to_json() if self.effect else None}


def scope_cells(response: Response, grid: Coverage, territories: Territories) -> list[Cell]:
    """The grid cells a response answers: its themes × the grid territories its territories
    reach × its stages (every stage when it names none), in grid order."""
    reached = set()
    for code in response.territories:
        for place in grid.territories:
            if overlaps(place, code, territories):
                reached.add(place)
    stages = response.stages or grid.stages
    return [(t, h, s) for t in grid.territories if t in reached
            for h in grid.themes if h in response.themes
            for s in grid.stages if s in stages]


def follow(
    bundle: Bundle, *, level: str = "dep", region: str | None = None,
    today: dt.date | None = None, rules: SecrecyRules | None = None,
    session: Session | None = None,
) -> tuple[ResponseStatus, ...]:
    """Every response of ``bundle``, in its order, with the effect of those that created offers
    and have a start (``started_on`` or ``decided_on``).

    :param today: the reference date of the *after* side (default: the bundle's generation
        date).
    """
    s = current_session(session)
    rules = rules or SecrecyRules()
    as_of = today or bundle.generated_at.date()
    held = {offer.id for offer in bundle.offers}
    result = []
    for response in bundle.responses:
        offers = tuple(o for o in response.offers if o in held)
        start = response.started_on or response.decided_on
        effect = None
        if offers and start is not None and response.themes:
            effect = _effect(bundle, response, offers, start, as_of, level, region, rules, s)
        result.append(ResponseStatus(response=response, offers=offers, effect=effect))
    return tuple(result)


def _effect(bundle: Bundle, response: Response, offers: Sequence[str], start: dt.date,
            as_of: dt.date, level: str, region: str | None, rules: SecrecyRules,
            session: Session) -> Effect:
    created = set(offers)
    before_on = start - dt.timedelta(days=1)
    themes = list(response.themes)
    without = bundle.with_collections({"offers": [o for o in bundle.offers
                                                  if o.id not in created]})
    before = coverage(without, level=level, region=region, themes=themes, today=before_on,
                      session=session)
    after = coverage(bundle, level=level, region=region, themes=themes, today=as_of,
                     session=session)
    cells = scope_cells(response, after, session.territories)
    gap_before = {c for c in cells if before.cells[c].status == "zone_blanche"}
    gap_after = {c for c in cells if after.cells[c].status == "zone_blanche"}
    places = {c[0] for c in cells}
    since = [n for n in bundle.needs if n.date >= start and n.theme in response.themes
             and _in_places(n, places, session.territories)]
    return Effect(before_on=before_on, after_on=as_of, cells=len(cells),
                  gaps_before=len(gap_before), gaps_after=len(gap_after),
                  closed=tuple(c for c in cells if c in gap_before and c not in gap_after),
                  needs_since=_publishable(since, rules))


def _in_places(need: Need, places: set[str], territories: Territories) -> bool:
    # A need counts in the grid territory that holds it (a commune's need in its département).
    territory = need.territory
    if territory is None:
        return False
    try:
        return any(territory == p or territories.contains(p, territory) for p in places)
    except ValueError:
        return False


def _publishable(needs: Sequence[Need], rules: SecrecyRules) -> int | None:
    # A need without an association is a contributor of its own, as in the shared diagnosis.
    contributors = {n.association or f"need:{n.id}" for n in needs}
    return len(needs) if len(contributors) >= rules.min_contributors else None
