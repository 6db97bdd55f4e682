"""The action plan: candidate responses to the gaps where needs are observed, and who could carry
them.

A **candidate** is a territory × theme of the coverage grid with the stages at which it is a
zone blanche (no offer in force) although needs were observed there at that stage
(:func:`pmae.analysis.coverage.coverage`). Candidates are ranked by the number of associations
concerned *as the shared diagnosis publishes it* (the protected theme × territory table of
:func:`pmae.analysis.shared_diagnosis.aggregate`): a cell that secrecy hides counts as unknown and
comes after every published one, so the ranking tells no more than the published tables. Each
candidate names the responses of the bundle (not abandoned) that already answer it.

The **carriers** proposed for a candidate are the actors best placed to carry a response, each
with the reasons it is placed there, by weight:

- ``autre_etape`` (3): it covers the theme in the territory at another stage of the chain;
- ``territoire_voisin`` (2): it covers the theme at one of the stages in another territory of
  the same région;
- ``complementaire`` (1): it completes another actor's chain on the theme somewhere (a
  *complementaire* edge of :mod:`pmae.analysis.complementarity`);
- ``rencontres`` (1): it attended at least one meeting of the démarche
  (:mod:`pmae.analysis.attendance`).

Only actors present nearby (one of the first two reasons) are proposed; the others break ties.
Following decided responses and measuring their effect is :mod:`pmae.analysis.plan_status`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

import attrs

from pmae.analysis.attendance import attendance
from pmae.analysis.complementarity import complementarity_of
from pmae.analysis.coverage import Coverage, coverage
from pmae.analysis.shared_diagnosis import SecrecyRules, aggregate, shareable_needs
from pmae.io.response_checks import ABANDONED
from pmae.model import Bundle, Response
from pmae.sessions import session as current_session

if TYPE_CHECKING:
    from pmae.sessions import Session
    from pmae.territories import Territories

__all__ = ["REASONS", "Candidate", "Carrier", "Plan", "answers", "decision", "overlaps", "plan"]

#: Why an actor is proposed to carry a response, and what each reason weighs.
REASONS: Final = {"autre_etape": 3, "territoire_voisin": 2, "complementaire": 1,
                  "rencontres": 1}


@attrs.define(kw_only=True, frozen=True)
class Carrier:
    """An actor proposed to carry a response, with why (codes of :data:`REASONS`)."""

    actor: str
    name: str
    reasons: tuple[str, ...]

    @property
    def score(self) -> int:
        """The sum of the weights of its reasons."""
        return sum(REASONS[reason] for reason in self.reasons)


@attrs.define(kw_only=True, frozen=True)
class Candidate:
    """A territory × theme where the offer is missing at ``stages`` while needs were observed."""

    territory: str
    theme: str
    #: The stages (chain order) that are zones blanches with needs observed.
    stages: tuple[str, ...]
    #: Associations concerned (theme × territory) as the shared diagnosis publishes it;
    #: ``None`` when secrecy hides the cell.
    associations: int | None
    carriers: tuple[Carrier, ...] = ()
    #: Responses of the bundle, not abandoned, that already answer it (ids).
    responses: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        return {"territory": self.territory, "theme": self.theme, "stages": list(self.stages),
                "associations": self.associations, "responses": list(self.responses),
                "carriers": [{"actor": c.actor, "name": c.name, "score": c.score,
                              "reasons": list(c.reasons)} for c in self.carriers]}


@attrs.define(kw_only=True, frozen=True)
class Plan:
    """The candidates of :func:`plan`, ranked (rank 1 first)."""

    as_of: dt.date
    level: str
    candidates: tuple[Candidate, ...]

    def to_json(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        return {"as_of": self.as_of.isoformat(), "level": self.level,
                "candidates": [dict(rank=rank, **c.to_json())
                               for rank, c in enumerate(self.candidates, 1)]}


def answers(response: Response, territory: str, theme: str, stages: Sequence[str],
            territories: Territories) -> bool:
    """Whether ``response`` answers ``theme`` in grid ``territory`` at one of ``stages`` (a
    response that names no stage answers every stage)."""
    if theme not in response.themes:
        return False
    if response.stages and not set(response.stages) & set(stages):
        return False
    return any(overlaps(territory, code, territories) for code in response.territories)


def overlaps(one: str, other: str, territories: Territories) -> bool:
    """Whether two territories are the same or one holds the other (unknown codes: no)."""
    if one == other:
        return True
    try:
        return territories.contains(one, other) or territories.contains(other, one)
    except ValueError:
        return False


def plan(
    bundle: Bundle, *, level: str = "dep", region: str | None = None,
    today: dt.date | None = None, rules: SecrecyRules | None = None,
    secret: str | bytes | None = None, carriers: int = 5, session: Session | None = None,
) -> Plan:
    """The candidate responses of ``bundle``, ranked (see the module's documentation).

    :param level: the coverage grid's level, ``dep`` or ``reg``; the shared diagnosis table
        is read at the same level.
    :param region: the grid's territory (see :func:`~pmae.analysis.coverage.coverage`).
    :param today: the reference date (default: the bundle's generation date).
    :param rules: the secrecy rules of the shared diagnosis (default: pmae's).
    :param secret: the démarche's secret for the protection (see
        :func:`~pmae.analysis.shared_diagnosis.protect`).
    :param carriers: how many carriers to propose at most for each candidate.
    """
    s = current_session(session)
    grid = coverage(bundle, level=level, region=region, today=today, session=s)
    table = aggregate(shareable_needs(bundle.needs), by=("theme", "territory"),
                      level="reg" if grid.level == "reg" else "dep",
                      rules=rules, territories=s.territories, secret=secret).published()
    found: dict[tuple[str, str], list[str]] = {}
    for cell in grid.cells.values():
        if cell.status == "zone_blanche" and cell.needs:
            found.setdefault((cell.territory, cell.theme), []).append(cell.stage)
    ranked = sorted(found, key=_rank(grid, table))
    helpers = _Helpers.of(bundle, grid, s)
    live = [r for r in bundle.responses if r.status != ABANDONED]
    candidates = tuple(
        Candidate(
            territory=territory, theme=theme, stages=tuple(found[(territory, theme)]),
            associations=_published(table, theme, territory),
            carriers=helpers.carriers(territory, theme, found[(territory, theme)], carriers),
            responses=tuple(r.id for r in live if answers(
                r, territory, theme, found[(territory, theme)], s.territories)))
        for territory, theme in ranked)
    return Plan(as_of=grid.as_of, level=grid.level, candidates=candidates)


def _published(table: Any, theme: str, territory: str) -> int | None:
    cell = table.get((theme, territory))
    return None if cell is None else cell.associations


def _rank(grid: Coverage, table: Any) -> Any:
    themes = {code: i for i, code in enumerate(grid.themes)}
    places = {code: i for i, code in enumerate(grid.territories)}

    def key(pair: tuple[str, str]) -> tuple[int, int, int, int]:
        territory, theme = pair
        published = _published(table, theme, territory)
        # Hidden cells last: their size is what secrecy does not tell.
        return (published is None, -(published or 0), themes[theme], places[territory])
    return key


@attrs.define(kw_only=True, frozen=True)
class _Helpers:
    """What the carriers are chosen from, computed once for every candidate."""

    grid: Coverage
    names: dict[str, str]
    region_of: dict[str, str | None]
    complementary: frozenset[tuple[str, str]]  # (actor, theme)
    attending: frozenset[str]

    @classmethod
    def of(cls, bundle: Bundle, grid: Coverage, session: Session) -> _Helpers:
        territories = session.territories
        graph = complementarity_of(grid, bundle)
        complementary = frozenset(
            (actor, theme) for edge in graph.edges if edge.kind == "complementaire"
            for actor in (edge.a, edge.b) for theme in edge.themes)
        present = attendance(bundle, territories=territories, graph=graph, session=session)
        return cls(
            grid=grid, names={a.id: a.name for a in bundle.actors},
            region_of={code: _region(code, territories) for code in grid.territories},
            complementary=complementary,
            attending=frozenset(a for a, figures in present.actors.items() if figures.attended))

    def carriers(self, territory: str, theme: str, stages: Sequence[str],
                 limit: int) -> tuple[Carrier, ...]:
        reasons: dict[str, set[str]] = {}
        for stage in self.grid.stages:
            if stage not in stages:
                for actor in self.grid.cell(territory, theme, stage).actors:
                    reasons.setdefault(actor, set()).add("autre_etape")
        region = self.region_of[territory]
        for other in self.grid.territories:
            if other == territory or region is None or self.region_of[other] != region:
                continue
            for stage in stages:
                for actor in self.grid.cell(other, theme, stage).actors:
                    reasons.setdefault(actor, set()).add("territoire_voisin")
        for actor, found in reasons.items():
            if (actor, theme) in self.complementary:
                found.add("complementaire")
            if actor in self.attending:
                found.add("rencontres")
        proposed = [Carrier(actor=actor, name=self.names.get(actor, actor),
                            reasons=tuple(r for r in REASONS if r in found))
                    for actor, found in reasons.items()]
        proposed.sort(key=lambda c: (-c.score, c.name, c.actor))
        return tuple(proposed[:limit])


def _region(code: str, territories: Territories) -> str | None:
    if code.startswith("reg:"):
        return None  # on a grid of régions, no région is another's neighbour
    regions = [p for p in territories.parents(code) if p.startswith("reg:")]
    return regions[0] if regions else None


def decision(
    candidate: Candidate, *, id: str, title: str | None = None,
    actors: Sequence[str] | None = None, meeting: str | None = None,
    programme: str | None = None, decided_on: dt.date, description: str | None = None,
) -> Response:
    """The response that records the decision to answer ``candidate`` (status ``decidee``).

    :param id: the new response's id (``<source>:<local>``).
    :param title: default: the theme, stages and territory, as codes
        (:func:`pmae.render.plan.response_title` words it).
    :param actors: who carries it (default: the best-placed carrier, if any).
    :param meeting: the meeting (a COFIL) where it was decided; ``programme`` likewise.
    """
    if actors is None:
        actors = [candidate.carriers[0].actor] if candidate.carriers else []
    return Response(
        id=id, title=title or f"{candidate.theme} ({', '.join(candidate.stages)}) "
                              f"en {candidate.territory}",
        description=description, themes=(candidate.theme,), stages=candidate.stages,
        territories=(candidate.territory,), actors=tuple(actors), meeting=meeting,
        programme=programme, decided_on=decided_on, status="decidee")
