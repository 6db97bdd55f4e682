"""The shared diagnosis: true tallies and published figures on hand-made needs, the sample,
invariants of the protection under random additions and removals (stateful), and the
``pmae needs`` command. The attacker with a solver is in ``test_secrecy_attack.py``."""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import valid_document
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from pmae.analysis.shared_diagnosis import (
    MAX_NOISE,
    TOTAL,
    Cell,
    NeedAggregator,
    SecrecyRules,
    SharedDiagnosis,
    Trend,
    aggregate,
    parse_dimensions,
    trends,
)
from pmae.cli.needs import needs as needs_command
from pmae.model import Need
from pmae.render.needs import render_text, to_csv
from pmae.sample import load_sample, sample_bytes
from pmae.vocab import core_vocabularies

_COUNTER = iter(range(10**9))


def need(association: str | None, theme: str, territory: str | None, *, year: int = 2025,
         intensity: float | None = None, id: str | None = None) -> Need:
    """A need with the fields the shared diagnosis reads."""
    return Need(id=id or f"t:besoin-{next(_COUNTER)}", theme=theme, origin="declare",
                date=dt.date(year, 3, 1), association=association, territory=territory,
                intensity=intensity)


def needs_of(cells: dict[tuple[str, str], list[str]], **kwargs: Any) -> list[Need]:
    """One need per association listed, for each (theme, territory)."""
    return [need(a, theme, territory, **kwargs)
            for (theme, territory), associations in cells.items() for a in associations]


def statuses(diagnosis: SharedDiagnosis) -> dict[tuple[str, ...], str]:
    return {key: cell.status for key, cell in diagnosis.cells.items()}


# --- hand-made cases ---------------------------------------------------------------------------


def test_true_tallies_and_published_figures() -> None:
    data = needs_of({
        ("recrutement", "dep:69"): ["a1", "a2", "a3", "a4", "a5", "a6"],
        ("recrutement", "dep:38"): ["a7", "a8"],  # 2 associations: never published
        ("recrutement", "dep:42"): [f"c{i}" for i in range(12)],
        ("paie_declarations", "dep:69"): ["b1", "b2", "b3", "b4", "b5", "b6", "b7"],
    })
    diagnosis = aggregate(data, by=("theme", "dep"))
    # The true tallies are all there, for the library's checks.
    assert diagnosis.cells[("recrutement", "dep:38")] == Cell(
        associations=2, needs=2, intensity=2.0, status="secret")
    assert diagnosis.margins[(TOTAL, TOTAL)].needs == 27
    assert diagnosis.margins[("recrutement", "reg:84")].needs == 20
    assert (diagnosis.source_needs, diagnosis.source_associations) == (27, 27)
    published = diagnosis.published()
    # A hidden cell is not listed at all, so it cannot be told from an empty one.
    assert ("recrutement", "dep:38") not in published
    assert all(c.status == "publie" for c in published.values())
    for key, cell in {**published, **diagnosis.published_margins()}.items():
        true = diagnosis.cells.get(key) or diagnosis.margins[key]
        assert cell.associations is not None and cell.needs is not None
        assert cell.associations >= 3 and cell.needs >= 3
        assert abs(cell.associations - true.associations) <= MAX_NOISE  # type: ignore[operator]
    # Published needs are sums of the perturbed finest cells: every total adds up over the
    # same needs, in whichever table.
    by_theme = aggregate(data, by="theme")
    assert by_theme.published_margins()[(TOTAL,)] == diagnosis.published_margins()[
        (TOTAL, TOTAL)]
    exact = aggregate(data, by=("theme", "dep"), rules=SecrecyRules(secondary=False))
    assert {k: c.needs for k, c in exact.published().items()} == {
        k: c.needs for k, c in exact.cells.items() if c.associations >= 3}  # type: ignore[operator]


def test_one_association_dominating_the_intensity() -> None:
    data = [need("x", "gepp", "dep:69", intensity=200.0),
            *[need(f"y{i}", "gepp", "dep:69") for i in range(8)],  # x weighs 200/208 > 85 %
            *needs_of({("qvct", "dep:69"): [f"c{i}" for i in range(9)]})]
    exact = SecrecyRules(secondary=False)
    diagnosis = aggregate(data, by=["theme"], rules=exact)
    assert diagnosis.cells[("gepp",)].status == "secret"
    assert ("gepp",) not in diagnosis.published()
    relaxed = aggregate(data, by=["theme"], rules=SecrecyRules(dominance=0.99,
                                                               secondary=False))
    assert relaxed.published()[("gepp",)].needs == 9


def test_rollup_gathers_the_departements_not_shown() -> None:
    data = needs_of({
        ("recrutement", "dep:69"): [f"a{i}" for i in range(5)],
        ("recrutement", "dep:01"): ["b1", "b2"],
        ("recrutement", "dep:07"): ["b3", "b4"],
        ("recrutement", "dep:75"): ["p1", "p2"],  # alone in Île-de-France: no roll-up
    })
    exact = aggregate(data, by="theme,dep", rules=SecrecyRules(secondary=False))
    rolled = exact.published()[("recrutement", "reg:84*")]
    # It lists no département: that would tell that each holds a need.
    assert (rolled.associations, rolled.needs, rolled.rolled_up_from) == (4, 4, ())
    assert ("recrutement", "reg:11*") not in exact.published()
    assert exact.cells[("recrutement", "reg:11*")].needs == 2
    without = aggregate(data, by="theme,dep", rules=SecrecyRules(secondary=False,
                                                                rollup=False))
    assert not any(k[1].endswith("*") for k in without.cells)


def test_keys_territory_levels_and_missing_values() -> None:
    data = [need("a", "qvct", "com:69123", year=2024), need("b", "qvct", "dep:2A"),
            need("c", "qvct", None), need(None, "qvct", "reg:84"),
            need("d", "qvct", "fr")]
    data[2] = Need(id="t:n", theme="qvct", origin="declare", date=dt.date(2025, 1, 1),
                   association="c", size_band="02", sector="sport")
    rules = SecrecyRules(min_contributors=1, dominance=1.0, secondary=False)
    by_dep = aggregate(data, by=("territory", "year", "size_band", "sector"), rules=rules)
    assert sorted(by_dep.cells) == [
        ("dep:2A", "2025", "nd", "nd"), ("dep:69", "2024", "nd", "nd"),
        ("fr", "2025", "02", "sport"), ("fr", "2025", "nd", "nd")]
    assert by_dep.cells[("fr", "2025", "nd", "nd")].associations == 2  # reg:84 and fr
    by_reg = aggregate(data, by="reg", rules=rules)
    # A need placed in a région but in no single département counts as unspecified.
    assert {k: c.needs for k, c in by_reg.cells.items()} == {
        ("fr",): 3, ("reg:84",): 1, ("reg:94",): 1}
    assert by_reg.territory_level == "reg"
    text = render_text(by_reg)
    assert "non précisé" in text and "Corse" in text


def test_needs_without_association_are_each_a_contributor() -> None:
    data = [need(None, "qvct", "dep:69"), need(None, "qvct", "dep:69"), need("a", "qvct", "dep:69"),
            need("a", "qvct", "dep:69")]
    cell = aggregate(data, by=["theme"]).cells[("qvct",)]
    assert (cell.associations, cell.needs) == (3, 4)


def test_parse_dimensions() -> None:
    assert parse_dimensions("theme,dep") == (("theme", "territory"), "dep")
    assert parse_dimensions(["year", "reg", "sector"]) == (("year", "territory", "sector"), "reg")
    assert parse_dimensions("territory") == (("territory",), "dep")
    for bad, message in [("theme,foo", "unknown dimension 'foo'"),
                         ("dep,reg", "dep and reg are two levels"),
                         ("theme,theme", "given twice"), ("", "unknown dimension ''")]:
        with pytest.raises(ValueError, match=message):
            parse_dimensions(bad)
    with pytest.raises(ValueError, match="by names the level 'reg' but level is 'dep'"):
        aggregate([], by="theme,reg", level="dep")


def test_empty_input_hides_the_empty_total() -> None:
    diagnosis = aggregate([], by=["theme"])
    assert diagnosis.cells == {}
    assert diagnosis.margins == {
        (TOTAL,): Cell(associations=0, needs=0, intensity=0.0, status="secret")}
    assert diagnosis.published_margins() == {} and diagnosis.source()["needs"] is None


def test_trends_compare_published_keys_only() -> None:
    data = [*needs_of({("qvct", "dep:69"): ["a1", "a2", "a3"]}, year=2024),
            *needs_of({("qvct", "dep:69"): ["a1", "a2", "a3", "a4", "a5"]}, year=2025),
            *needs_of({("gepp", "dep:69"): ["b1", "b2", "b3"]}, year=2024),
            *needs_of({("gepp", "dep:69"): ["b1"]}, year=2025)]
    diagnosis = aggregate(data, by="theme,year", rules=SecrecyRules(secondary=False))
    found = trends(diagnosis)
    assert found == (
        Trend(key=(TOTAL,), year=2025, previous_year=2024, needs=6, previous_needs=6,
              associations=6, previous_associations=6),
        Trend(key=("qvct",), year=2025, previous_year=2024, needs=5, previous_needs=3,
              associations=5, previous_associations=3),
    )
    assert (found[1].change, found[1].relative_change) == (2, 2 / 3)
    # Protected, a trend reads the published figures and skips what is not published.
    protected = aggregate(data, by="theme,year")
    shown = {**protected.published(), **protected.published_margins()}
    for trend in trends(protected):
        key = (*trend.key, str(trend.year))
        assert shown[key].needs == trend.needs
    with pytest.raises(ValueError, match="aggregated by year"):
        trends(aggregate(data, by="theme"))


def test_the_sample_by_theme_and_departement() -> None:
    bundle = load_sample()
    diagnosis = aggregate(bundle.needs, by="theme,dep")
    contributors = {n.association or n.id for n in bundle.needs}
    assert (diagnosis.source_needs, diagnosis.source_associations) == (491, 218)
    assert len(contributors) == 218 and len({n.association for n in bundle.needs} - {None}) == 200
    by_theme = Counter(n.theme for n in bundle.needs)
    assert {k[0]: c.needs for k, c in diagnosis.margins.items()
            if k[1] == TOTAL and k[0] != TOTAL} == by_theme
    grand = diagnosis.published_margins()[(TOTAL, TOTAL)]
    # The published grand total is near the true one: a sum of small, unbiased noises.
    assert abs(grand.needs - 491) < 60 and abs(grand.associations - 218) <= MAX_NOISE  # type: ignore[operator]
    counts = diagnosis.status_counts()
    assert counts["publie"] == len(diagnosis.published()) > 40 and counts["secret"] > 0
    assert_protection(diagnosis)


def assert_protection(diagnosis: SharedDiagnosis) -> None:
    """What holds for every protected diagnosis: only published cells are listed, each from
    at least ``min_contributors`` associations as published, none dominated, and published
    association counts within :data:`MAX_NOISE` of the truth."""
    rules = diagnosis.rules
    for shown, true in ((diagnosis.published(), diagnosis.cells),
                        (diagnosis.published_margins(), diagnosis.margins)):
        for key, cell in shown.items():
            assert cell.status == "publie" and true[key].status == "publie"
            assert cell.associations is not None and cell.needs is not None
            assert cell.associations >= rules.min_contributors <= cell.needs
            assert abs(cell.associations - true[key].associations) <= MAX_NOISE  # type: ignore[operator]
        for key, cell in true.items():
            assert (key in shown) == (cell.status == "publie")


# --- stateful: incremental equals from scratch, the protection always holds ---------------------

RULES = SecrecyRules()
BY = ("theme", "territory", "year")
THEMES = ("recrutement", "qvct", "gepp")
# Three départements of one région (roll-ups happen), one of another, and no territory.
TERRITORIES = ("dep:01", "dep:07", "dep:69", "dep:75", None)
ASSOCIATIONS = ("a1", "a2", "a3", "a4", "a5", "a6", None)


class SharedDiagnosisMachine(RuleBasedStateMachine):
    """Diagnoses come and go; the aggregator must always agree with a recomputation."""

    def __init__(self) -> None:
        super().__init__()
        self.aggregator = NeedAggregator(by=BY, rules=RULES)
        self.held: dict[str, Need] = {}
        self.counter = 0

    @rule(association=st.sampled_from(ASSOCIATIONS), territory=st.sampled_from(TERRITORIES),
          year=st.sampled_from((2024, 2025)),
          themes=st.lists(st.tuples(st.sampled_from(THEMES),
                                    st.sampled_from((None, 0.0, 1.0, 2.5, 40.0))),
                          min_size=1, max_size=4))
    def add_diagnosis(self, association: str | None, territory: str | None, year: int,
                      themes: list[tuple[str, float | None]]) -> None:
        batch = []
        for theme, intensity in themes:
            self.counter += 1
            batch.append(need(association, theme, territory, year=year, intensity=intensity,
                              id=f"t:besoin-{self.counter}"))
        self.aggregator.add(batch)
        self.held.update((n.id, n) for n in batch)

    @precondition(lambda self: bool(self.held))
    @rule(data=st.data())
    def remove_some(self, data: st.DataObject) -> None:
        ids = data.draw(st.lists(st.sampled_from(sorted(self.held)), min_size=1, max_size=5,
                                 unique=True))
        self.aggregator.remove(ids)
        for need_id in ids:
            del self.held[need_id]

    @invariant()
    def incremental_equals_scratch_and_protection_holds(self) -> None:
        result = self.aggregator.result()
        # From scratch, in another order: the result must not depend on it.
        again = aggregate(reversed(list(self.held.values())), by=BY, rules=RULES)
        assert result == again
        assert (result.published(), result.published_margins()) == (
            again.published(), again.published_margins())
        assert len(self.aggregator) == len(self.held)
        assert_protection(result)


# Each step recomputes two protected diagnoses (about 8 ms each): 40 runs of 15 steps keep the
# test near 10 s.
SharedDiagnosisMachine.TestCase.settings = settings(
    settings.default, max_examples=min(settings.default.max_examples, 40),
    stateful_step_count=15)
TestSharedDiagnosisMachine = SharedDiagnosisMachine.TestCase


def test_aggregator_refuses_duplicates_and_unknown_ids() -> None:
    aggregator = NeedAggregator(by=["theme"])
    aggregator.add([need("a", "qvct", "dep:69", id="t:1")])
    with pytest.raises(ValueError, match="already held"):
        aggregator.add([need("a", "qvct", "dep:69", id="t:1")])
    with pytest.raises(ValueError, match="already held"):
        aggregator.add([need("a", "qvct", "dep:69", id="t:2"),
                        need("a", "qvct", "dep:69", id="t:2")])
    with pytest.raises(KeyError):
        aggregator.remove(["t:9"])
    assert len(aggregator) == 1
    aggregator.remove(["t:1"])
    assert aggregator.result() == aggregate([], by=["theme"])


# --- the command -------------------------------------------------------------------------------


def _bundle(tmp_path: Path, needs: list[dict[str, Any]]) -> str:
    document = valid_document()
    document["needs"] = needs
    document.pop("referrals")
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return str(path)


def _anonymous(theme: str, territory: str, count: int, *, start: int,
               intensity: float | None = None) -> list[dict[str, Any]]:
    rows = []
    for i in range(start, start + count):
        row: dict[str, Any] = {"id": f"lma-ra:b-{i}", "theme": theme, "origin": "declare",
                               "date": "2025-02-01", "territory": territory}
        if intensity is not None:
            row["intensity"] = intensity
        rows.append(row)
    return rows


def test_command_in_three_formats_shows_published_cells_only(tmp_path: Path) -> None:
    # Anonymous needs each count as one contributor: a 2-need cell is never shown, with a
    # distinctive intensity that must appear nowhere.
    path = _bundle(tmp_path, [
        *_anonymous("recrutement", "dep:69", 2, start=0, intensity=7.3125),
        *_anonymous("recrutement", "dep:42", 9, start=20),
        *_anonymous("qvct", "dep:42", 12, start=50),
    ])
    runner = CliRunner()
    result = runner.invoke(needs_command, [path, "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["dimensions"] == ["theme", "territory"]
    assert data["rules"] == {"min_contributors": 3, "dominance": 0.85, "secondary": True,
                             "rollup": True}
    assert data["protection"] == {"method": "cell-key perturbation", "max_noise": MAX_NOISE}
    rows = {(r["theme"], r["territory"]): r for r in data["cells"]}
    assert ("recrutement", "dep:69") not in rows and "statuses" not in data
    assert {r["status"] for r in data["cells"]} == {"publie"}
    assert "7.3125" not in result.output and "14.62" not in result.output

    csv_result = runner.invoke(needs_command, [path, "--format", "csv"])
    assert csv_result.exit_code == 0
    table = list(csv.reader(io.StringIO(csv_result.output)))
    assert table[0] == ["theme", "territory", "associations", "needs", "intensity", "status",
                        "rolled_up_from"]
    assert not any(row[:2] == ["recrutement", "dep:69"] for row in table)
    assert "7.3125" not in csv_result.output and "s" not in [v for r in table[1:] for v in r]
    raw = csv_result.stdout_bytes.decode()  # .output turns CRLF into LF
    assert raw.startswith("theme,territory,associations,") and raw.endswith("\r\n")

    text = runner.invoke(needs_command, [path, "--lang", "en"])
    assert text.exit_code == 0
    assert text.output.startswith("Shared diagnosis of needs — theme × département\n")
    assert "slightly blurred" in text.output and "may differ from the sum" in text.output
    french = runner.invoke(needs_command, [path, "--lang", "fr"])
    assert "légèrement brouillé" in french.output and "7,3125" not in french.output

    output = tmp_path / "out.csv"
    written = runner.invoke(needs_command, [path, "--format", "csv", "-o", str(output)])
    assert written.exit_code == 0
    assert output.read_bytes().decode() == raw
    assert list(tmp_path.glob(".out.csv.*")) == []


def test_command_shows_the_library_figures_on_the_sample(tmp_path: Path) -> None:
    path = tmp_path / "sample.json"
    path.write_bytes(sample_bytes())
    diagnosis = aggregate(load_sample().needs, by="theme,dep,year")
    result = CliRunner().invoke(needs_command, [str(path), "--by", "theme,dep,year",
                                                "--format", "csv"])
    assert result.exit_code == 0
    assert result.stdout_bytes.decode() == to_csv(diagnosis)
    listed = {tuple(r[:3]) for r in csv.reader(io.StringIO(result.output))}
    assert not any(key in listed for key, cell in diagnosis.cells.items() if cell.suppressed)


def test_command_options_change_the_rules(tmp_path: Path) -> None:
    path = tmp_path / "sample.json"
    path.write_bytes(sample_bytes())
    result = CliRunner().invoke(needs_command, [
        str(path), "--by", "theme", "--format", "json", "--min-contributors", "12",
        "--dominance", "0.5", "--no-secondary", "--no-rollup"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["rules"] == {"min_contributors": 12, "dominance": 0.5, "secondary": False,
                             "rollup": False}
    assert data["protection"] == {"method": "none", "max_noise": 0}
    by_theme = Counter(n.theme for n in load_sample().needs)
    shown = {r["theme"] for r in data["cells"]}
    assert {"benevolat", "gepp", "sante_prevoyance"}.isdisjoint(shown)
    assert all(r["needs"] == by_theme[r["theme"]] for r in data["cells"])


def test_command_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    path = _bundle(tmp_path, _anonymous("recrutement", "dep:69", 3, start=0))
    bad_by = runner.invoke(needs_command, [path, "--by", "theme,commune"])
    assert bad_by.exit_code == 2
    assert "Invalid value for '--by': unknown dimension 'commune'" in bad_by.output
    no_folder = runner.invoke(needs_command, [path, "-o", str(tmp_path / "no" / "x.csv")])
    assert no_folder.exit_code == 2

    document = copy.deepcopy(json.loads(Path(path).read_text(encoding="utf-8")))
    document["needs"][0]["theme"] = "pas_un_theme"
    Path(path).write_text(json.dumps(document), encoding="utf-8")
    invalid = runner.invoke(needs_command, [path])
    assert invalid.exit_code == 1
    assert "[unknown-code]" in invalid.output  # on stderr, which CliRunner mixes in
    as_json = runner.invoke(needs_command, [path, "--format", "json"])
    assert as_json.exit_code == 1
    assert [i["code"] for i in json.loads(as_json.output)] == ["unknown-code"]


def test_trends_compare_published_cells_year_over_year(tmp_path: Path) -> None:
    from pmae.io.bundles import write_bundle

    bundle = load_sample()
    path = tmp_path / "sample.json"
    write_bundle(bundle, path)
    result = CliRunner().invoke(needs_command, [str(path), "--by", "theme,year", "--trends",
                                                "--format", "json"])
    assert result.exit_code == 0
    rows = json.loads(result.output)
    total = next(r for r in rows if r["theme"] is None)
    shown = aggregate(bundle.needs, by="theme,year").published_margins()
    assert (total["previous_year"], total["year"]) == (2024, 2025)
    assert (total["previous_needs"], total["needs"]) == (
        shown[(TOTAL, "2024")].needs, shown[(TOTAL, "2025")].needs)
    text = CliRunner().invoke(needs_command, [str(path), "--by", "theme,year", "--trends",
                                              "--lang", "fr"])
    assert "Évolution" in text.output and "brouillé" in text.output
    # Labels, not codes, in the text (JSON and CSV keep the codes).
    themes = core_vocabularies()["themes"]
    for code in {r["theme"] for r in rows if r["theme"] is not None}:
        assert f"  {themes.label(code, 'fr')}" in text.output
        assert f"  {code} " not in text.output
    refused = CliRunner().invoke(needs_command, [str(path), "--by", "theme", "--trends"])
    assert refused.exit_code == 2
