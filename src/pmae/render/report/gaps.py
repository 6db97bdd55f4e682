"""Where needs meet no offer: the coverage pages' zones blanches, with the needs published by
the shared diagnosis, and grouped by département and by theme.

The needs shown beside a zone blanche are the **published** cells of the shared diagnosis
(theme × département, perturbed, secret cells left out): never a raw count of needs. The
diagnosis has no stage dimension, so a stage's zone blanche shows the needs of its theme in its
département, all stages together; the pages say so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs

from pmae.analysis.shared_diagnosis import SharedDiagnosis

__all__ = ["Gap", "GapGroup", "GapReport", "gap_report", "published_needs"]


@attrs.define(kw_only=True, frozen=True)
class Gap:
    """One zone blanche: a département × theme without any offer at the page's stage."""

    departement: str
    theme: str
    #: Needs the shared diagnosis publishes for the theme in the département (all stages);
    #: ``None`` when it publishes none there (no need, or a cell kept secret: nobody can tell).
    needs: int | None


@attrs.define(kw_only=True, frozen=True)
class GapGroup:
    """The zones blanches of one département (or one theme)."""

    code: str
    gaps: tuple[Gap, ...]


@attrs.define(kw_only=True, frozen=True)
class GapReport:
    """The zones blanches of one stage, as the coverage page shows them."""

    #: Zones blanches where published needs are observed, most needs first.
    with_needs: tuple[Gap, ...]
    by_departement: tuple[GapGroup, ...]
    by_theme: tuple[GapGroup, ...]
    total: int


def published_needs(shared: SharedDiagnosis | None) -> dict[tuple[str, str], int]:
    """``(département, theme) -> needs`` of the published cells of a theme × dep diagnosis.

    Roll-up cells ("autres départements" of a région) name no département and are left out.
    """
    if shared is None:
        return {}
    if shared.dimensions != ("theme", "territory") or shared.territory_level != "dep":
        raise ValueError("the zones blanches read a shared diagnosis by theme × département")
    found: dict[tuple[str, str], int] = {}
    for (theme, territory), cell in shared.published().items():
        if territory.startswith("dep:") and cell.needs:
            found[(territory, theme)] = cell.needs
    return found


def gap_report(gaps: Sequence[tuple[str, str]], needs: Mapping[tuple[str, str], int],
               *, departements: Sequence[str], themes: Sequence[str]) -> GapReport:
    """The zones blanches ``gaps`` (``(département, theme)`` pairs) with their published needs,
    grouped in the order of ``departements`` and ``themes``.

    :param needs: from :func:`published_needs`.
    """
    found = [Gap(departement=d, theme=t, needs=needs.get((d, t))) for d, t in gaps]
    dep_order = {d: i for i, d in enumerate(departements)}
    theme_order = {t: i for i, t in enumerate(themes)}
    with_needs = sorted((g for g in found if g.needs),
                        key=lambda g: (-(g.needs or 0), dep_order.get(g.departement, 0),
                                       theme_order.get(g.theme, 0)))

    def groups(attribute: str, order: Sequence[str]) -> tuple[GapGroup, ...]:
        by: dict[str, list[Gap]] = {}
        for gap in found:
            by.setdefault(getattr(gap, attribute), []).append(gap)
        return tuple(GapGroup(code=code, gaps=tuple(by[code])) for code in order if code in by)

    return GapReport(with_needs=tuple(with_needs), by_departement=groups("departement",
                                                                          departements),
                     by_theme=groups("theme", themes), total=len(found))
