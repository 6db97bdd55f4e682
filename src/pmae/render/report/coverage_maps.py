"""The tile-grid maps of a coverage page: themes without any offer by département, and the
needs the shared diagnosis publishes by département."""

from __future__ import annotations

from collections.abc import Mapping

from pmae.analysis.shared_diagnosis import TOTAL, SharedDiagnosis
from pmae.render.labels import Labels, slug
from pmae.render.report.gaps import GapReport
from pmae.render.report.grid import Grid
from pmae.render.report.pages import departement_file
from pmae.render.report.tilemap import TileMap, tile_map

__all__ = ["coverage_maps", "published_needs_by_departement"]


def published_needs_by_departement(shared: SharedDiagnosis,
                                   departements: tuple[str, ...]) -> dict[str, int | None]:
    """The published total of needs of each département (``None``: not published)."""
    margins = shared.published_margins()
    found: dict[str, int | None] = {}
    for departement in departements:
        cell = margins.get((TOTAL, departement))
        found[departement] = None if cell is None else cell.needs
    return found


def coverage_maps(grid: Grid, stage: str, report: GapReport, shared: SharedDiagnosis | None,
                  labels: Labels, text: Mapping[str, str], stage_label: str,
                  ) -> list[tuple[str, TileMap, str]]:
    """``(caption, map, element id)`` of the maps of one coverage page."""
    def link(departement: str) -> str:
        return f"annuaire/{departement_file(departement)}"

    per_departement = {group.code: len(group.gaps) for group in report.by_departement}
    gaps: dict[str, int | None] = {d: per_departement.get(d, 0) for d in grid.departements}
    caption = text["map_gaps"].format(stage=stage_label)
    maps = [(caption, tile_map(gaps, label=labels.territory, href=link, title=caption,
                               description=text["map_desc"], chart_id=f"carte-{slug(stage)}",
                               scale="gaps", missing=text["map_secret"]), "carte-zones")]
    if shared is not None:
        caption = text["map_needs"]
        needs = published_needs_by_departement(shared, grid.departements)
        maps.append((caption, tile_map(needs, label=labels.territory, href=link, title=caption,
                                       description=text["map_desc"],
                                       chart_id=f"carte-besoins-{slug(stage)}", scale="needs",
                                       missing=text["map_secret"]), "carte-besoins"))
    return maps
