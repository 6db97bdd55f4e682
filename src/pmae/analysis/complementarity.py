"""Complementarity between actors: who chains with whom, who does the same thing in the same place.

Built on the cells of :func:`pmae.analysis.coverage.coverage` (same grid, same containment, same
offers in force), for each pair of actors:

- **chevauchement** (overlap): both cover the same theme, at the same stage, in the same grid
  territory; the edge lists those themes, stages and territories, and its ``weight`` is the number
  of such cells;
- **complementaire** (complementary): in the same theme and grid territory, each covers a stage
  the other does not (one advises, the other trains): together they make a longer support chain.
  The edge's stages are those only one of the two covers; its ``weight`` is the number of
  (theme, territory) pairs where they complete each other.

A pair can be both: two actors that both advise on a theme, and only one of which trains, overlap
on *conseil* and complete each other on *formation*. Actors that cover a stage the other covers
and nothing more are overlapping, not complementary: one adds nothing to the other's chain.

As in the coverage, an offer that covers part of a grid territory (a commune's) counts there: two
maisons des associations of two communes of one département may appear to overlap. Read the
edges with the territories they list.

The graph is rendered (text, CSV) by :mod:`pmae.render.complementarity`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from itertools import combinations
from typing import TYPE_CHECKING, Any, Final

import attrs

from pmae.analysis.coverage import Coverage, coverage
from pmae.model import Bundle

if TYPE_CHECKING:
    from pmae.sessions import Session
    from pmae.territories import Territories
    from pmae.vocab import Vocabulary

__all__ = ["KINDS", "Complementarity", "Edge", "complementarity", "complementarity_of"]

#: The kinds of edges.
KINDS: Final = ("complementaire", "chevauchement")


@attrs.define(kw_only=True, frozen=True)
class Edge:
    """A link between two actors (``a`` < ``b``), of one kind, with where it holds."""

    a: str
    b: str
    #: ``complementaire`` or ``chevauchement``.
    kind: str
    themes: tuple[str, ...]
    stages: tuple[str, ...]
    territories: tuple[str, ...]
    #: Cells of overlap, or (theme, territory) pairs of complementarity.
    weight: int = 1


@attrs.define(kw_only=True, frozen=True)
class Complementarity:
    """The graph: actors (nodes) with at least one offer in the grid, and their edges."""

    actors: tuple[str, ...]
    edges: tuple[Edge, ...]
    #: Actor id -> name (the id itself for an actor the bundle does not hold).
    names: Mapping[str, str] = attrs.field(factory=dict)
    #: Actor id -> actor type, for the actors the bundle holds.
    actor_types: Mapping[str, str] = attrs.field(factory=dict)

    def of_kind(self, kind: str) -> tuple[Edge, ...]:
        """The edges of ``kind``."""
        return tuple(e for e in self.edges if e.kind == kind)

    def to_json(self) -> dict[str, Any]:
        """Nodes and edges, as plain JSON-ready data."""
        return {
            "nodes": [{"id": a, "name": self.names.get(a, a),
                       "actor_type": self.actor_types.get(a)} for a in self.actors],
            "edges": [{"a": e.a, "b": e.b, "kind": e.kind, "themes": list(e.themes),
                       "stages": list(e.stages), "territories": list(e.territories),
                       "weight": e.weight} for e in self.edges],
        }


def complementarity_of(grid: Coverage, bundle: Bundle | None = None) -> Complementarity:
    """The graph of the actors in ``grid``'s cells; ``bundle`` gives their names and types."""
    # Pairs of actors can number millions at national scale: gather plain tuples per pair
    # (stages as bit masks) and build the sets and edges once at the end.
    overlaps: dict[tuple[str, str], list[tuple[int, int, int]]] = {}
    complements: dict[tuple[str, str], list[tuple[int, int, int]]] = {}
    nodes: set[str] = set()
    for place, territory in enumerate(grid.territories):
        for subject, theme in enumerate(grid.themes):
            mask_of: dict[str, int] = {}
            for rank, stage in enumerate(grid.stages):
                actors = grid.cells[(territory, theme, stage)].actors
                for actor in actors:
                    mask_of[actor] = mask_of.get(actor, 0) | 1 << rank
                # Actors are sorted in a cell, so every pair comes as (a, b) with a < b.
                for pair in combinations(actors, 2):
                    found = overlaps.get(pair)
                    if found is None:
                        overlaps[pair] = found = []
                    found.append((subject, 1 << rank, place))
            nodes.update(mask_of)
            by_mask: dict[int, list[str]] = {}
            for actor, mask in mask_of.items():
                by_mask.setdefault(mask, []).append(actor)
            # Actors with the same stages never complete each other: pair up groups of masks.
            for first, second in combinations(by_mask, 2):
                if first & ~second and second & ~first:
                    entry = (subject, first ^ second, place)
                    for a in by_mask[first]:
                        for b in by_mask[second]:
                            pair = (a, b) if a < b else (b, a)
                            found = complements.get(pair)
                            if found is None:
                                complements[pair] = found = []
                            found.append(entry)
    edges = [_edge(pair, kind, entries, grid)
             for kind, links in (("complementaire", complements), ("chevauchement", overlaps))
             for pair, entries in links.items()]
    edges.sort(key=lambda e: (KINDS.index(e.kind), -e.weight, e.a, e.b))
    known = {a.id: a for a in bundle.actors} if bundle is not None else {}
    return Complementarity(
        actors=tuple(sorted(nodes)), edges=tuple(edges),
        names={n: known[n].name if n in known else n for n in sorted(nodes)},
        actor_types={n: known[n].actor_type for n in sorted(nodes) if n in known})


def _edge(pair: tuple[str, str], kind: str, entries: list[tuple[int, int, int]],
          grid: Coverage) -> Edge:
    mask = 0
    for _, stages, _ in entries:
        mask |= stages
    return Edge(a=pair[0], b=pair[1], kind=kind,
                themes=tuple(grid.themes[i] for i in sorted({e[0] for e in entries})),
                stages=tuple(s for i, s in enumerate(grid.stages) if mask >> i & 1),
                territories=tuple(grid.territories[i] for i in sorted({e[2] for e in entries})),
                weight=len(entries))


def complementarity(
    bundle: Bundle, *, level: str = "dep", region: str | None = None,
    themes: Sequence[str] | None = None, today: dt.date | None = None,
    territories: Territories | None = None,
    vocabularies: Mapping[str, Vocabulary] | None = None, session: Session | None = None,
) -> Complementarity:
    """The complementarity graph of ``bundle``'s actors; arguments as in :func:`coverage`
    (the territories and vocabularies are the session's unless given)."""
    grid = coverage(bundle, level=level, region=region, themes=themes, today=today,
                    territories=territories, vocabularies=vocabularies, session=session)
    return complementarity_of(grid, bundle)
