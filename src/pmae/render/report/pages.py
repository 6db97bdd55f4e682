"""What each page of the report shows, computed from the bundle the audience may see.

Functions here return plain values for the templates; nothing here writes HTML, except the
charts, which :mod:`pmae.render.report.charts` escapes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from urllib.parse import quote, urlencode

import attrs
from markupsafe import Markup

from pmae.analysis.shared_diagnosis import TOTAL, Cell, SharedDiagnosis
from pmae.model import Actor, Bundle, Meeting, Offer
from pmae.render.jsonld import ID_SAFE
from pmae.render.labels import Labels, slug
from pmae.render.report.charts import HeatCell, LegendEntry, bar_chart, heatmap
from pmae.render.report.grid import ALL_STAGES, Grid, offer_departements
from pmae.territories import Territories

__all__ = [
    "ActorEntry",
    "ChainRow",
    "DirectoryFilter",
    "directory_entries",
    "directory_filters",
]


@attrs.define(kw_only=True, frozen=True)
class ActorEntry:
    """One actor of the directory and the offers shown with it."""

    actor: Actor
    offers: tuple[Offer, ...]


@attrs.define(kw_only=True, frozen=True)
class DirectoryFilter:
    """One filtered page of the directory."""

    kind: str  # "theme", "etape" or "dep"
    code: str
    label: str
    file: str
    count: int  # offers on the page


def directory_entries(bundle: Bundle, *, territories: Territories,
                      offer_filter: tuple[str, str] | None = None, departement: str | None = None,
                      ) -> list[ActorEntry]:
    """Actors (by name) with their offers (by title), the offers kept by ``offer_filter``.

    :param offer_filter: ``("theme", code)``, ``("etape", code)`` or ``None`` for all.
    :param departement: keep the offers available in that département, and the actors that
        serve it.
    """
    def keep(offer: Offer) -> bool:
        if offer_filter is not None:
            kind, code = offer_filter
            if code not in (offer.themes if kind == "theme" else offer.stages):
                return False
        return departement is None or departement in offer_departements(offer.territories,
                                                                        territories)

    by_actor: dict[str, list[Offer]] = {}
    for offer in bundle.offers:
        if keep(offer):
            by_actor.setdefault(offer.actor, []).append(offer)
    entries = []
    for actor in bundle.actors:
        offers = by_actor.get(actor.id, [])
        filtered = offer_filter is not None or departement is not None
        serves = departement is not None and offer_filter is None and departement in \
            offer_departements(actor.territories, territories)
        if filtered and not offers and not serves:
            continue
        entries.append(ActorEntry(actor=actor, offers=tuple(sorted(
            offers, key=lambda o: o.title.casefold()))))
    return sorted(entries, key=lambda e: e.actor.name.casefold())


def directory_filters(bundle: Bundle, grid: Grid, labels: Labels,
                      ) -> dict[str, list[DirectoryFilter]]:
    """The filtered pages of the directory, by kind: themes, stages, départements."""
    themes = Counter(t for o in bundle.offers for t in dict.fromkeys(o.themes))
    stages = Counter(s for o in bundle.offers for s in dict.fromkeys(o.stages))
    deps = Counter(d for o in bundle.offers
                   for d in offer_departements(o.territories, labels.territories))
    return {
        "theme": [DirectoryFilter(kind="theme", code=t, label=labels.code("themes", t),
                                  file=f"theme-{slug(t)}.html", count=themes[t])
                  for t in grid.themes],
        "etape": [DirectoryFilter(kind="etape", code=s, label=labels.code("stages", s),
                                  file=f"etape-{slug(s)}.html", count=stages[s])
                  for s in grid.stages],
        "dep": [DirectoryFilter(kind="dep", code=d, label=labels.territory(d),
                                file=departement_file(d), count=deps[d])
                for d in grid.departements],
    }


def index_charts(bundle: Bundle, labels: Labels, text: Mapping[str, str],
                 stages: Sequence[str], themes: Sequence[str]) -> list[tuple[str, Markup]]:
    """The home page's bars: actors by type, offers by theme, offers by stage."""
    types = Counter(a.actor_type for a in bundle.actors).most_common()
    by_theme = Counter(t for o in bundle.offers for t in dict.fromkeys(o.themes))
    by_stage = Counter(s for o in bundle.offers for s in dict.fromkeys(o.stages))
    charts = [
        ("actors_by_type", "chart-actors",
         [(labels.code("actor_types", c), n) for c, n in types]),
        ("offers_by_theme", "chart-themes",
         [(labels.code("themes", t), by_theme[t]) for t in themes if by_theme[t]]),
        ("offers_by_stage", "chart-stages", [(labels.code("stages", s), by_stage[s])
                                             for s in stages]),
    ]
    return [(text[key], bar_chart(bars, title=text[key], chart_id=chart_id))
            for key, chart_id, bars in charts]


def cell_link(departement: str, theme: str, stage: str, offer_ids: Sequence[str]) -> str:
    """The directory page of ``departement`` showing the offers of one heatmap cell.

    The query names the theme and stage the page's search filters on (with JavaScript); without
    it, the page lists every offer of the département. A cell of one offer also points at it.
    """
    query = {"theme": theme} if stage == ALL_STAGES else {"theme": theme, "etape": stage}
    anchor = f"#{quote(offer_ids[0], safe=ID_SAFE)}" if len(offer_ids) == 1 else ""
    return f"annuaire/{departement_file(departement)}?{urlencode(query)}{anchor}"


def departement_file(departement: str) -> str:
    """The file of a département's directory page, under ``annuaire/``."""
    return f"dep-{slug(departement.removeprefix('dep:'))}.html"


def coverage_chart(grid: Grid, stage: str, labels: Labels, text: Mapping[str, str]) -> Markup:
    """The heatmap of one stage (or :data:`ALL_STAGES`), départements × themes; each covered
    cell links to the offers it counts."""
    status_label = {"zone_blanche": text["zone_blanche"], "couvert": text["couvert"],
                    "redondant": text["redondant"].format(n=grid.redundant_at)}
    rows = [(d, labels.territory(d)) for d in grid.departements]
    columns = [(t, labels.code("themes", t)) for t in grid.themes]
    cells = {}
    for dep, dep_label in rows:
        for theme, theme_label in columns:
            cell = grid.cell(dep, theme, stage)
            title = text["cell_title"].format(dep=dep_label, theme=theme_label, n=cell.offers,
                                              status=status_label[cell.status])
            if cell.partial_only:
                title += f" ({text['partial']})"
            href = cell_link(dep, theme, stage, cell.offer_ids) if cell.offers else None
            if href:
                title += f" — {text['cell_link']}"
            cells[(dep, theme)] = HeatCell(value=cell.offers, status=cell.status, title=title,
                                           partial=cell.partial_only, href=href)
    stage_label = text["all_stages"] if stage == ALL_STAGES else labels.code("stages", stage)
    k = grid.redundant_at
    legend = [
        LegendEntry(sample=HeatCell(value=0, status="zone_blanche", title=""), mark="×",
                    label=text["zone_blanche"]),
        LegendEntry(sample=HeatCell(value=1, status="couvert", title=""), mark="1",
                    label=text["legend_one"]),
        LegendEntry(sample=HeatCell(value=2, status="couvert", title=""), mark="2+",
                    label=text["legend_more"]),
        LegendEntry(sample=HeatCell(value=k, status="redondant", title=""), mark=f"{k}+",
                    label=text["legend_redundant"].format(k=k)),
    ]
    return heatmap(rows, columns, cells, chart_id=f"heatmap-{slug(stage)}",
                   title=text["heatmap_title"].format(stage=stage_label),
                   legend=legend, legend_title=f"{text['legend']} — {text['legend_counts']}",
                   note=f"* {text['partial']}")


@attrs.define(kw_only=True, frozen=True)
class ChainRow:
    """One stage of one theme's support chain: who is there, where, and how much is covered."""

    stage: str
    actors: tuple[tuple[str, str], ...]  # (actor name, where)
    covered: int  # départements with at least one offer


def chain(bundle: Bundle, grid: Grid, labels: Labels, text: Mapping[str, str],
          ) -> list[tuple[str, list[ChainRow]]]:
    """For each theme with offers, each stage's actors and the départements it covers."""
    names = {a.id: a.name for a in bundle.actors}
    where: dict[tuple[str, str, str], set[str]] = {}
    for offer in bundle.offers:
        scope = _scope(offer.territories, labels, text)
        for theme in offer.themes:
            for stage in offer.stages:
                where.setdefault((theme, stage, offer.actor), set()).update(scope)
    themes = [t for t in grid.themes if any(k[0] == t for k in where)]
    result = []
    for theme in themes:
        rows = []
        for stage in grid.stages:
            present = sorted(((names.get(actor, actor), ", ".join(sorted(places)))
                              for (t, s, actor), places in where.items()
                              if (t, s) == (theme, stage)), key=lambda p: p[0].casefold())
            covered = sum(1 for d in grid.departements if grid.cell(d, theme, stage).offers)
            rows.append(ChainRow(stage=stage, actors=tuple(present), covered=covered))
        result.append((theme, rows))
    return result


def _scope(codes: Iterable[str], labels: Labels, text: Mapping[str, str]) -> set[str]:
    """Names of where an offer applies: ``région``, ``69 Rhône``, ``Lyon``… (never a code)."""
    scope = set()
    for code in codes:
        if code.startswith("reg:") or code == "fr":
            scope.add(text["region_wide"] if code != "fr" else "France")
        else:
            scope.add(labels.territory(code))
    return scope


@attrs.define(kw_only=True, frozen=True)
class DiagnosisTable:
    """The shared diagnosis as a theme × territory table of published needs counts."""

    columns: tuple[tuple[str, str], ...]  # (territory key, label)
    #: theme, cells, total; a cell is a count, None (secret) or ROLLED_UP (counted in the
    #: "autres départements" column of its région, so as not to be published alone)
    rows: tuple[tuple[str, tuple[int | str | None, ...], int | None], ...]
    totals: tuple[int | None, ...]
    grand_total: int | None


#: A cell whose needs were merged into its région's "autres départements" column.
ROLLED_UP = "rolled-up"


def diagnosis_table(shared: SharedDiagnosis, labels: Labels, text: Mapping[str, str],
                    ) -> DiagnosisTable:
    """Published cells only (``None`` where secrecy hides a value): never a true value."""
    cells, margins = shared.published(), shared.published_margins()
    territories = list(dict.fromkeys(key[1] for key in cells))
    order = {d: i for i, d in enumerate(labels.territories.departements("fr"))}
    territories.sort(key=lambda c: (c == "fr", c.endswith("*"), order.get(c, 0), c))
    themes = [t for t in labels.vocabularies["themes"].codes()
              if any(k[0] == t for k in cells)]
    themes += sorted({k[0] for k in cells} - set(themes))

    def label(code: str) -> str:
        if code == "fr":
            return text["unspecified"]
        if code.endswith("*"):
            return f"{text['others']} ({labels.territory(code.rstrip('*'))})"
        return labels.territory(code)

    def count(cell: Cell | None) -> int | None:
        return None if cell is None else cell.needs

    def value(theme: str, code: str) -> int | str | None:
        # An empty cell and a hidden one look the same: telling them apart would say that
        # the hidden one holds a need.
        return count(cells.get((theme, code)))

    rows = tuple((theme, tuple(value(theme, c) for c in territories),
                  count(margins.get((theme, TOTAL)))) for theme in themes)
    return DiagnosisTable(
        columns=tuple((c, label(c)) for c in territories), rows=rows,
        totals=tuple(count(margins.get((TOTAL, c))) for c in territories),
        grand_total=count(margins.get((TOTAL, TOTAL))))


def meeting_rows(meetings: Iterable[Meeting], year: int, actors: Mapping[str, str],
                 ) -> list[dict[str, object]]:
    """The meetings of ``year`` by start, with what the meetings page shows of each."""
    rows = []
    for meeting in sorted((m for m in meetings if m.start.year == year), key=lambda m: m.start):
        outside = [s.organisation or (actors.get(s.actor, s.actor) if s.actor else None)
                   for s in meeting.speakers if s.outside]
        known = [r for r in meeting.registrations if r.attended is not None]
        rows.append({
            "meeting": meeting,
            "speakers": [who for who in outside if who],
            "workshops": [w.title for w in meeting.workshops],
            "present": sum(1 for r in known if r.attended) if known else None,
        })
    return rows
