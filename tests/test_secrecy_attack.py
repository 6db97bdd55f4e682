"""The shared diagnosis against an attacker with a solver (HiGHS through scipy).

For every hidden cell and total of every table pmae can publish from a bundle (every ``--by``,
territory by département and by région, with the report's table among them), the attacker
writes every published needs value as a sum of unknown finest cells and asks for the smallest
and largest value the hidden one can take. The protection must leave every hidden cell:

- not recomputed exactly;
- not bounded below ``min_contributors`` (3): the attacker can never rule out 3 or more;
- with an interval at least :data:`MAX_NOISE` wide (the documented protection level).

And two releases, a bundle then the same with one more (or one less) association, must not
locate that association's needs. These tests fail on the protection that came before (exact
values with secondary suppression, table by table): see ``docs/shared-diagnosis.md``.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from secrecy_attacker import Hidden, attack, differencing, every_by

from pmae.analysis.shared_diagnosis import (
    MAX_NOISE,
    SecrecyRules,
    SharedDiagnosis,
    aggregate,
    protect,
    shareable_needs,
)
from pmae.io.converter import structure_schema_checked
from pmae.model import Bundle, Need
from pmae.sample import load_sample
from pmae.synth import generate
from pmae.territories import core_territories

THRESHOLD = SecrecyRules().min_contributors


def assert_protected(found: Sequence[Hidden]) -> None:
    """The three promises, with the cells that break them named."""
    exact = [h for h in found if h.exact]
    small = [h for h in found if h.high < THRESHOLD]
    narrow = [h for h in found if h.width < MAX_NOISE]
    assert not exact, f"recomputed exactly: {exact[:5]}"
    assert not small, f"bounded below {THRESHOLD}: {small[:5]}"
    assert not narrow, f"interval narrower than {MAX_NOISE}: {narrow[:5]}"


@cache
def _sample() -> tuple[Need, ...]:
    return tuple(shareable_needs(load_sample().needs))


@cache
def _generated(associations: int, seed: int) -> tuple[Need, ...]:
    bundle = structure_schema_checked(generate(associations=associations, seed=seed), Bundle)
    return tuple(shareable_needs(bundle.needs))


def test_the_sample_against_the_default_table_and_its_companions() -> None:
    # The default table (the report's), by région, by year, and the margins a reader would
    # combine with them. (Every --by at once is the hypothesis test's job on small bundles:
    # on the sample, the 47 tables make 20,000 hidden entries and minutes of solving.)
    needs = list(_sample())
    bys = ["theme,dep", "theme,reg", "theme,dep,year", "theme,year", "dep,year", "theme",
           "dep", "year"]
    protection = protect(needs, core_territories())
    tables = {by: aggregate(needs, by=by, protection=protection) for by in bys}
    found = attack(needs, tables.__getitem__, bys, noise=MAX_NOISE,
                   targets=["theme,dep", "theme,reg", "theme,dep,year"], sample=150)
    assert len(found) == 150
    assert_protected(found)


def test_a_generated_bundle_against_the_default_table_and_its_companions() -> None:
    # 120 associations, about 800 needs: the default table, the report's, and the --by a
    # reader would combine with it (by year, by région, by size band).
    needs = list(_generated(120, 7))
    bys = ["theme,dep", "theme,reg", "theme,dep,year", "theme,size_band", "dep,year", "theme"]
    protection = protect(needs, core_territories())
    tables = {by: aggregate(needs, by=by, protection=protection) for by in bys}
    found = attack(needs, tables.__getitem__, bys, noise=MAX_NOISE, sample=60)
    assert len(found) == 60
    assert_protected(found)


def _needs(draw: st.DrawFn) -> list[Need]:
    territories = draw(st.lists(st.sampled_from(
        ("dep:01", "dep:07", "dep:69", "dep:75", "reg:84", None)), min_size=1, max_size=3,
        unique=True))
    count = draw(st.integers(1, 30))
    found = []
    for i in range(count):
        found.append(Need(
            id=f"t:besoin-{i}", origin="declare",
            theme=draw(st.sampled_from(("recrutement", "qvct", "gepp"))),
            date=dt.date(draw(st.sampled_from((2024, 2025))), 3, 1),
            association=draw(st.sampled_from(("a1", "a2", "a3", "a4", "a5", "a6", None))),
            territory=draw(st.sampled_from(territories)),
            intensity=draw(st.sampled_from((None, 1.0, 2.0, 40.0))),
            size_band=draw(st.sampled_from((None, "01", "02"))),
            sector=draw(st.sampled_from((None, "9499Z")))))
    return found


@st.composite
def bundles_and_choices(draw: st.DrawFn) -> tuple[list[Need], list[str]]:
    """A small random set of needs, and a random handful of ``--by`` a reader asks for."""
    needs = _needs(draw)
    bys = draw(st.lists(st.sampled_from(every_by()), min_size=1, max_size=6, unique=True))
    return needs, bys


@settings(max_examples=min(settings.default.max_examples, 30),
          suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(bundles_and_choices())
def test_random_bundles_and_random_choices_of_tables(case: tuple[list[Need], list[str]],
                                                     ) -> None:
    needs, bys = case
    protection = protect(needs, core_territories())
    tables = {by: aggregate(needs, by=by, protection=protection) for by in bys}
    assert_protected(attack(needs, tables.__getitem__, bys, noise=MAX_NOISE))


def _release(needs: Sequence[Need], by: str) -> SharedDiagnosis:
    return aggregate(needs, by=by)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("direction", ["added", "removed"])
def test_two_releases_do_not_locate_one_association(seed: int, direction: str) -> None:
    needs = list(_generated(300, 11))
    rng = random.Random(seed)
    association = rng.choice(sorted({n.association for n in needs if n.association}))
    without = [n for n in needs if n.association != association]
    before, after = (without, needs) if direction == "added" else (needs, without)
    bys = ["theme,dep", "theme,reg", "theme,year", "theme,dep,year"]
    # The attacker compares the release with the association to the one without it.
    larger, smaller = (after, before) if direction == "added" else (before, after)
    located = differencing(smaller, larger, association, _release, bys, noise=MAX_NOISE)
    assert located == {by: set() for by in bys}


def test_the_same_needs_give_the_same_figures_in_every_table() -> None:
    needs = list(_sample())
    by_dep = aggregate(needs, by="theme,dep")
    by_reg = aggregate(needs, by="theme,reg")
    by_year = aggregate(needs, by="theme,dep,year")
    # A région subtotal of the table by département is the cell of the table by région, and
    # a total over the years is the cell without them: same needs, same published figures.
    for key, cell in by_reg.published().items():
        assert by_dep.published_margins().get(key) == cell
    by_year_margins = by_year.published_margins()
    for (theme, dep), cell in by_dep.published().items():
        if dep.endswith("*") and (theme, dep, "*") not in by_year_margins:
            # "Other départements of the région" groups what each table does not show on its
            # own: a table with more dimensions may group other départements, or none.
            continue
        assert by_year_margins.get((theme, dep, "*")) == cell
    assert by_dep.published_margins()[("*", "*")] == by_year.published_margins()[
        ("*", "*", "*")]
