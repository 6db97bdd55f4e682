"""The shared diagnosis: exact cells on hand-made needs, the sample, invariants of statistical
secrecy under random additions and removals (stateful), and the ``pmae needs`` command."""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import json
import math
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import valid_document
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from pmae import synth
from pmae.analysis.shared_diagnosis import (
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
from pmae.io.pipeline import validate_document
from pmae.model import Need
from pmae.sample import load_sample, sample_bytes
from pmae.territories import core_territories

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


def test_two_associations_hidden_and_the_cells_that_would_reveal_them() -> None:
    data = needs_of({
        ("recrutement", "dep:69"): ["a1", "a2", "a3"],
        ("recrutement", "dep:38"): ["a4", "a5"],  # 2 associations: primary secrecy
        ("recrutement", "dep:42"): ["a6", "a7", "a8", "a9"],
        ("paie_declarations", "dep:69"): ["b1", "b2", "b3", "b4"],
        ("paie_declarations", "dep:38"): ["b5", "b6", "b7"],
        ("paie_declarations", "dep:42"): ["b8", "b9", "b10", "b11", "b12"],
    })
    diagnosis = aggregate(data, by=("theme", "dep"))
    assert statuses(diagnosis) == {
        ("paie_declarations", "dep:38"): "secret_secondaire",  # its column has the hidden cell
        ("paie_declarations", "dep:42"): "publie",
        ("paie_declarations", "dep:69"): "secret_secondaire",  # its column lost a cell
        ("recrutement", "dep:38"): "secret_primaire",
        ("recrutement", "dep:42"): "publie",
        ("recrutement", "dep:69"): "secret_secondaire",  # smallest partner in the row
    }
    assert diagnosis.cells[("recrutement", "dep:38")] == Cell(
        associations=2, needs=2, intensity=2.0, status="secret_primaire")
    published = diagnosis.published()
    assert published[("recrutement", "dep:38")] == Cell(
        associations=None, needs=None, intensity=None, status="secret_primaire")
    assert published[("recrutement", "dep:42")] == Cell(
        associations=4, needs=4, intensity=4.0, status="publie")
    assert {k: (c.needs, c.status) for k, c in diagnosis.margins.items()} == {
        (TOTAL, TOTAL): (21, "publie"),
        (TOTAL, "dep:38"): (5, "publie"),
        (TOTAL, "dep:42"): (9, "publie"),
        (TOTAL, "dep:69"): (7, "publie"),
        ("paie_declarations", TOTAL): (12, "publie"),
        ("recrutement", TOTAL): (9, "publie"),
        # the région subtotals (all three départements are in Auvergne-Rhône-Alpes)
        (TOTAL, "reg:84"): (21, "publie"),
        ("paie_declarations", "reg:84"): (12, "publie"),
        ("recrutement", "reg:84"): (9, "publie"),
    }
    assert (diagnosis.source_needs, diagnosis.source_associations) == (21, 21)
    assert_secrecy(diagnosis, data, SecrecyRules())

    without = aggregate(data, by=("theme", "dep"), rules=SecrecyRules(secondary=False))
    assert [k for k, s in statuses(without).items() if s != "publie"] == [
        ("recrutement", "dep:38")]


def test_one_association_dominating_the_intensity() -> None:
    data = [need("x", "gepp", "dep:69", intensity=20.0), need("y", "gepp", "dep:69"),
            need("z", "gepp", "dep:69"),  # x weighs 20 / 22 > 85 %
            *needs_of({("qvct", "dep:69"): ["c1", "c2", "c3"],
                       ("mutualisation", "dep:69"): ["d1", "d2", "d3", "d4", "d5"]})]
    diagnosis = aggregate(data, by=["theme"])
    assert diagnosis.cells == {
        ("gepp",): Cell(associations=3, needs=3, intensity=22.0, status="secret_dominance"),
        ("mutualisation",): Cell(associations=5, needs=5, intensity=5.0, status="publie"),
        ("qvct",): Cell(associations=3, needs=3, intensity=3.0, status="secret_secondaire"),
    }
    assert diagnosis.margins == {
        (TOTAL,): Cell(associations=11, needs=11, intensity=30.0, status="publie")}
    # A threshold above x's share publishes the cell.
    relaxed = aggregate(data, by=["theme"], rules=SecrecyRules(dominance=0.95))
    assert relaxed.cells[("gepp",)].status == "publie"
    assert_secrecy(diagnosis, data, SecrecyRules())


def test_rollup_publishes_other_departements_instead_of_two_hidden_ones() -> None:
    data = needs_of({
        ("recrutement", "dep:01"): ["a1", "a2"],
        ("recrutement", "dep:07"): ["a3", "a4"],
        ("recrutement", "dep:69"): ["a5", "a6", "a7"],
    })
    diagnosis = aggregate(data, by="theme,dep")
    assert diagnosis.cells == {
        ("recrutement", "dep:69"): Cell(associations=3, needs=3, intensity=3.0, status="publie"),
        ("recrutement", "reg:84*"): Cell(associations=4, needs=4, intensity=4.0,
                                         status="publie", rolled_up_from=("dep:01", "dep:07")),
    }
    assert {k: c.needs for k, c in diagnosis.margins.items()} == {
        (TOTAL, TOTAL): 7, (TOTAL, "dep:69"): 3, (TOTAL, "reg:84*"): 4, ("recrutement", TOTAL): 7,
        (TOTAL, "reg:84"): 7, ("recrutement", "reg:84"): 7}
    text = diagnosis.render_text()
    assert "autres départements d'Auvergne-Rhône-Alpes" in text
    assert "other départements of Auvergne-Rhône-Alpes" in diagnosis.render_text("en")

    plain = aggregate(data, by="theme,dep", rules=SecrecyRules(rollup=False))
    assert statuses(plain) == {("recrutement", "dep:01"): "secret_primaire",
                               ("recrutement", "dep:07"): "secret_primaire",
                               ("recrutement", "dep:69"): "publie"}


def test_rollup_only_within_a_region_and_only_two_or_more() -> None:
    data = needs_of({
        ("recrutement", "dep:01"): ["a1", "a2"],  # alone in its région: stays, hidden
        ("recrutement", "dep:75"): ["b1"],  # Île-de-France
        ("recrutement", "dep:69"): ["a5", "a6", "a7"],
    })
    diagnosis = aggregate(data, by=("theme", "territory"))
    # dep:69 is hidden too: the Auvergne-Rhône-Alpes subtotal minus it would give dep:01.
    assert statuses(diagnosis) == {("recrutement", "dep:01"): "secret_primaire",
                                   ("recrutement", "dep:69"): "secret_secondaire",
                                   ("recrutement", "dep:75"): "secret_primaire"}
    # A hidden roll-up: 1 + 1 associations is still too few.
    small = aggregate(needs_of({("qvct", "dep:01"): ["a1"], ("qvct", "dep:07"): ["a2"]}),
                      by=("theme", "dep"))
    assert small.cells == {("qvct", "reg:84*"): Cell(
        associations=2, needs=2, intensity=2.0, status="secret_primaire",
        rolled_up_from=("dep:01", "dep:07"))}
    assert small.margins[(TOTAL, TOTAL)].status == "secret_primaire"
    assert small.to_json()["source"] == {"needs": None, "associations": None}


def test_keys_territory_levels_and_missing_values() -> None:
    data = [need("a", "qvct", "com:69123", year=2024), need("b", "qvct", "dep:2A"),
            need("c", "qvct", None), need(None, "qvct", "reg:84"),
            need("d", "qvct", "fr")]
    data[2] = Need(id="t:n", theme="qvct", origin="declare", date=dt.date(2025, 1, 1),
                   association="c", size_band="02", sector="sport")
    by_dep = aggregate(data, by=("territory", "year", "size_band", "sector"),
                       rules=SecrecyRules(min_contributors=1, dominance=1.0))
    assert sorted(by_dep.cells) == [
        ("dep:2A", "2025", "nd", "nd"), ("dep:69", "2024", "nd", "nd"),
        ("fr", "2025", "02", "sport"), ("fr", "2025", "nd", "nd")]
    assert by_dep.cells[("fr", "2025", "nd", "nd")].associations == 2  # reg:84 and fr
    by_reg = aggregate(data, by="reg", rules=SecrecyRules(min_contributors=1, dominance=1.0))
    # By région, the cells are the région subtotals of the table by département: a need
    # placed in a région but in no single département counts as unspecified there too.
    assert {k: c.needs for k, c in by_reg.cells.items()} == {
        ("fr",): 3, ("reg:84",): 1, ("reg:94",): 1}
    assert by_reg.territory_level == "reg"
    text = by_reg.render_text()
    assert "non précisé" in text and "Corse" in text


def test_needs_without_association_are_each_a_contributor() -> None:
    data = [need(None, "qvct", "dep:69"), need(None, "qvct", "dep:69"), need("a", "qvct", "dep:69"),
            need("a", "qvct", "dep:69")]
    cell = aggregate(data, by=["theme"]).cells[("qvct",)]
    assert (cell.associations, cell.needs, cell.status) == (3, 4, "publie")


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
        (TOTAL,): Cell(associations=0, needs=0, intensity=0.0, status="secret_primaire")}


def test_trends_compare_published_keys_only() -> None:
    data = [*needs_of({("qvct", "dep:69"): ["a1", "a2", "a3"]}, year=2024),
            *needs_of({("qvct", "dep:69"): ["a1", "a2", "a3", "a4", "a5"]}, year=2025),
            *needs_of({("gepp", "dep:69"): ["b1", "b2", "b3"]}, year=2024),
            *needs_of({("gepp", "dep:69"): ["b1"]}, year=2025),
            *needs_of({("recrutement", "dep:69"): ["c1", "c2", "c3", "c4"]}, year=2024),
            *needs_of({("recrutement", "dep:69"): ["c1", "c2", "c3"]}, year=2025)]
    diagnosis = aggregate(data, by="theme,year")
    # gepp 2025 is hidden, so recrutement 2025 (smallest of its year) and both 2024 cells too.
    assert [k for k, c in diagnosis.cells.items() if c.suppressed] == [
        ("gepp", "2024"), ("gepp", "2025"), ("recrutement", "2024"), ("recrutement", "2025")]
    found = trends(diagnosis)
    assert found == (
        Trend(key=(TOTAL,), year=2025, previous_year=2024, needs=9, previous_needs=10,
              associations=9, previous_associations=10),
        Trend(key=("qvct",), year=2025, previous_year=2024, needs=5, previous_needs=3,
              associations=5, previous_associations=3),
    )
    assert (found[1].change, found[1].relative_change) == (2, 2 / 3)
    with pytest.raises(ValueError, match="aggregated by year"):
        trends(aggregate(data, by="theme"))


# --- invariants ----------------------------------------------------------------------------------


def _members(diagnosis: SharedDiagnosis, data: Iterable[Need]) -> dict[tuple[str, ...], list[Need]]:
    """The needs behind every cell and margin, worked out independently of the module.

    Only for diagnoses by theme × dep × year on needs whose territory is a département.
    """
    assert diagnosis.dimensions == ("theme", "territory", "year")
    rolled = {(key[0], dep, key[2]): key for key, cell in diagnosis.cells.items()
              for dep in cell.rolled_up_from}
    found: dict[tuple[str, ...], list[Need]] = {}
    for item in data:
        base = (item.theme, item.territory or "fr", str(item.date.year))
        cell = base if base in diagnosis.cells else rolled[base]
        region = REGIONS.get(item.territory or "fr")
        for mask in range(8):
            key = tuple(TOTAL if mask >> i & 1 else v for i, v in enumerate(cell))
            found.setdefault(key, []).append(item)
            if region is not None and key[1] != TOTAL:  # the région subtotals
                found.setdefault((key[0], region, key[2]), []).append(item)
    return found


def _lines(entries: dict[tuple[str, ...], Cell], dimensions: tuple[str, ...]
           ) -> list[tuple[tuple[str, ...], list[tuple[str, ...]]]]:
    """Every line of the published table: ``(its total, its other entries)``.

    Along the territory of a table by département (one with région subtotals) there are three
    kinds: the départements, roll-ups and unspecified with the total; each région's départements
    and roll-up with the région; the régions and unspecified with the total.
    """
    territories = core_territories()
    t = dimensions.index("territory") if "territory" in dimensions else None
    by_dep = t is not None and any(k[t].startswith("dep:") or k[t].endswith("*")
                                   for k in entries)

    def region_of(value: str) -> str | None:
        if value.startswith("dep:"):
            return territories.parents(value)[0]
        return value[:-1] if value.endswith("*") else None

    found: dict[tuple[int, tuple[str, ...]], list[tuple[str, ...]]] = {}
    for key in entries:
        for d in range(len(key)):
            if key[d] == TOTAL:
                continue
            if d != t or not by_dep:
                found.setdefault((d, (*key[:d], TOTAL, *key[d + 1:])), []).append(key)
                continue
            value = key[d]
            is_region = value.startswith("reg:") and not value.endswith("*")
            if not is_region:  # a leaf, in the line of the total
                found.setdefault((d, (*key[:d], TOTAL, *key[d + 1:])), []).append(key)
            region = region_of(value)
            if region is not None:  # in its région's line
                found.setdefault((d, (*key[:d], region, *key[d + 1:])), []).append(key)
            else:  # a région, or unspecified: in the line of the régions with the total
                found.setdefault((d, (*key[:d], "~" + TOTAL, *key[d + 1:])), []).append(key)
    lines = []
    for (_d, total), children in found.items():
        total_key = tuple(TOTAL if v == "~" + TOTAL else v for v in total)
        lines.append((total_key, children))
    return lines


def assert_secrecy(diagnosis: SharedDiagnosis, data: list[Need], rules: SecrecyRules) -> None:
    """No published entry too small or dominated; no lone hidden entry in any line."""
    entries = {**diagnosis.cells, **diagnosis.margins}
    n = len(diagnosis.dimensions)
    if diagnosis.dimensions == ("theme", "territory", "year"):
        members = _members(diagnosis, data)
        assert set(members) == set(entries) or not data
        for key, items in members.items():
            contributors: dict[str, list[float]] = {}
            for item in items:
                contributors.setdefault(item.association or item.id, []).append(
                    1.0 if item.intensity is None else item.intensity)
            cell = entries[key]
            assert (cell.associations, cell.needs) == (len(contributors), len(items))
            total = math.fsum(x for v in contributors.values() for x in v)
            assert cell.intensity == total
            if not cell.suppressed:
                assert len(contributors) >= rules.min_contributors
                assert max(math.fsum(v) for v in contributors.values()) <= \
                    rules.dominance * total or total == 0
    for cell in entries.values():
        if not cell.suppressed:
            assert cell.associations is not None
            assert cell.associations >= rules.min_contributors
    if not rules.secondary:
        return
    assert n == len(next(iter(entries)))
    for total_key, children in _lines(entries, diagnosis.dimensions):
        hidden = sum(1 for k in children if entries[k].suppressed)
        # Every total is the sum of its cells.
        assert entries[total_key].needs == sum(entries[k].needs or 0 for k in children)
        if not entries[total_key].suppressed:
            assert hidden in (0,) or hidden >= 2, (total_key, hidden)
        elif children:  # a hidden total is not the sum of published cells either
            assert hidden >= 1, total_key


def test_the_sample_by_theme_and_departement() -> None:
    bundle = load_sample()
    diagnosis = aggregate(bundle.needs, by="theme,dep")
    published = diagnosis.published()
    assert all(c.associations is not None and c.associations >= 3
               for c in published.values() if c.status == "publie")
    contributors = {n.association or n.id for n in bundle.needs}
    assert (diagnosis.source_needs, diagnosis.source_associations) == (491, 218)
    assert len(contributors) == 218 and len({n.association for n in bundle.needs} - {None}) == 200
    grand = diagnosis.published_margins()[(TOTAL, TOTAL)]
    assert (grand.needs, grand.associations, grand.status) == (491, 218, "publie")
    assert sum(c.needs or 0 for c in diagnosis.cells.values()) == 491
    by_theme = Counter(n.theme for n in bundle.needs)
    assert {k[0]: c.needs for k, c in diagnosis.margins.items()
            if k[1] == TOTAL and k[0] != TOTAL} == by_theme
    assert diagnosis.status_counts() == {"publie": 86, "secret_primaire": 1,
                                         "secret_dominance": 0, "secret_secondaire": 12}
    assert_secrecy(diagnosis, list(bundle.needs), SecrecyRules())


# --- stateful: incremental equals from scratch, secrecy always holds ---------------------------

RULES = SecrecyRules()
BY = ("theme", "territory", "year")
THEMES = ("recrutement", "qvct", "gepp")
# Three départements of one région (roll-ups happen), one of another, and no territory.
TERRITORIES = ("dep:01", "dep:07", "dep:69", "dep:75", None)
REGIONS = {"dep:01": "reg:84", "dep:07": "reg:84", "dep:69": "reg:84", "dep:75": "reg:11"}
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
    def incremental_equals_scratch_and_secrecy_holds(self) -> None:
        result = self.aggregator.result()
        # From scratch, in another order: the result must not depend on it.
        assert result == aggregate(reversed(list(self.held.values())), by=BY, rules=RULES)
        assert len(self.aggregator) == len(self.held)
        assert_secrecy(result, list(self.held.values()), RULES)


SharedDiagnosisMachine.TestCase.settings = settings(
    settings.default, max_examples=min(settings.default.max_examples, 100),
    stateful_step_count=20)
TestSharedDiagnosisMachine = SharedDiagnosisMachine.TestCase


def test_aggregator_refuses_duplicates_and_unknown_ids() -> None:
    aggregator = NeedAggregator(by=["theme"])
    first = need("a", "qvct", "dep:69", id="t:1")
    aggregator.add([first])
    with pytest.raises(ValueError, match="'t:1' is already held"):
        aggregator.add([need("b", "qvct", "dep:69", id="t:2"), first])
    with pytest.raises(ValueError, match="'t:3' is already held"):
        aggregator.add([need("b", "qvct", "dep:69", id="t:3")] * 2)
    with pytest.raises(KeyError):
        aggregator.remove(["t:1", "t:9"])
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


def test_command_in_three_formats_never_shows_a_hidden_value(tmp_path: Path) -> None:
    # Anonymous needs each count as one contributor: a 2-need cell is hidden, with a
    # distinctive intensity that must appear nowhere.
    path = _bundle(tmp_path, [
        *_anonymous("recrutement", "dep:69", 2, start=0, intensity=7.25),
        *_anonymous("recrutement", "dep:38", 3, start=10),
        *_anonymous("recrutement", "dep:42", 4, start=20),
        *_anonymous("qvct", "dep:69", 5, start=30),
        *_anonymous("qvct", "dep:38", 6, start=40),
        *_anonymous("qvct", "dep:42", 7, start=50),
    ])
    runner = CliRunner()
    result = runner.invoke(needs_command, [path, "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["dimensions"] == ["theme", "territory"]
    assert data["rules"] == {"min_contributors": 3, "dominance": 0.85, "secondary": True,
                             "rollup": True}
    rows = {(r["theme"], r["territory"]): r for r in data["cells"]}
    hidden = {k for k, r in rows.items() if r["status"] != "publie"}
    assert hidden == {("recrutement", "dep:69"), ("recrutement", "dep:38"),
                      ("qvct", "dep:69"), ("qvct", "dep:38")}
    for key in hidden:
        assert (rows[key]["associations"], rows[key]["needs"], rows[key]["intensity"]) == \
            (None, None, None)
    assert rows[("recrutement", "dep:42")]["needs"] == 4
    assert "7.25" not in result.output and "14.5" not in result.output

    csv_result = runner.invoke(needs_command, [path, "--format", "csv"])
    assert csv_result.exit_code == 0
    table = list(csv.reader(io.StringIO(csv_result.output)))
    assert table[0] == ["theme", "territory", "associations", "needs", "intensity", "status",
                        "rolled_up_from"]
    assert ["qvct", "dep:42", "7", "7", "7", "publie", ""] in table
    assert ["recrutement", "dep:69", "s", "s", "s", "secret_primaire", ""] in table
    assert ["*", "*", "27", "27", "39.50", "publie", ""] in table
    assert "14.5" not in csv_result.output and "7.25" not in csv_result.output
    raw = csv_result.stdout_bytes.decode()  # .output turns CRLF into LF
    assert raw.startswith("theme,territory,associations,") and raw.endswith("\r\n")

    text = runner.invoke(needs_command, [path, "--lang", "en"])
    assert text.exit_code == 0
    assert text.output.startswith("Shared diagnosis of needs — theme × département\n"
                                  "27 needs from 27 contributors (associations, and needs "
                                  "heard without an association)\n")
    assert "14.5" not in text.output

    output = tmp_path / "out.csv"
    written = runner.invoke(needs_command, [path, "--format", "csv", "-o", str(output)])
    assert written.exit_code == 0
    assert output.read_bytes().decode() == raw
    assert list(tmp_path.glob(".out.csv.*")) == []


def test_command_hides_the_same_values_on_the_sample(tmp_path: Path) -> None:
    path = tmp_path / "sample.json"
    path.write_bytes(sample_bytes())
    diagnosis = aggregate(load_sample().needs, by="theme,dep,year")
    secret = {k: c for k, c in diagnosis.cells.items() if c.suppressed}
    assert secret
    result = CliRunner().invoke(needs_command, [str(path), "--by", "theme,dep,year",
                                                "--format", "csv"])
    assert result.exit_code == 0
    rows = {tuple(r[:3]): r[3:6] for r in csv.reader(io.StringIO(result.output))}
    for key in secret:
        assert rows[key] == ["s", "s", "s"]
    data = json.loads(CliRunner().invoke(needs_command, [
        str(path), "--by", "theme,dep,year", "--format", "json"]).output)
    for row in data["cells"]:
        key = (row["theme"], row["territory"], row["year"])
        if key in secret:
            assert [row["associations"], row["needs"], row["intensity"]] == [None] * 3


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
    assert {r["theme"] for r in data["cells"] if r["status"] == "secret_primaire"} == {
        "benevolat", "gepp", "sante_prevoyance"}


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
    from click.testing import CliRunner

    from pmae.cli.needs import needs as needs_command
    from pmae.io.bundles import write_bundle
    from pmae.sample import load_sample

    bundle = load_sample()
    path = tmp_path / "sample.json"
    write_bundle(bundle, path)
    result = CliRunner().invoke(needs_command, [str(path), "--by", "theme,year", "--trends",
                                                "--format", "json"])
    assert result.exit_code == 0
    rows = json.loads(result.output)
    total = next(r for r in rows if r["theme"] is None)
    per_year = {y: sum(1 for n in bundle.needs if n.date.year == y) for y in (2024, 2025)}
    assert (total["previous_year"], total["year"]) == (2024, 2025)
    assert (total["previous_needs"], total["needs"]) == (per_year[2024], per_year[2025])
    assert total["change"] == per_year[2025] - per_year[2024]
    refused = CliRunner().invoke(needs_command, [str(path), "--by", "theme", "--trends"])
    assert refused.exit_code == 2


# --- two tables, one protection ------------------------------------------------------------------


def _recoverable(by_dep: SharedDiagnosis, by_reg: SharedDiagnosis) -> list[tuple[str, str]]:
    """Hidden département cells equal to the published région cell of the theme × région table
    minus the published département cells of that région and theme, when they are the only
    hidden one of their (theme, région)."""
    territories = core_territories()
    reg_cells = {**by_reg.published(), **by_reg.published_margins()}
    groups: dict[tuple[str, str], list[tuple[tuple[str, ...], Cell]]] = {}
    for key, cell in by_dep.cells.items():
        territory = key[1]
        if territory.startswith("dep:"):
            region = territories.parents(territory)[0]
        elif territory.startswith("reg:") and territory.endswith("*"):
            region = territory.removesuffix("*")
        else:
            continue
        groups.setdefault((key[0], region), []).append((key, cell))
    found = []
    for (theme, region), members in groups.items():
        hidden = [(k, c) for k, c in members if c.suppressed]
        reg_cell = reg_cells.get((theme, region))
        if len(hidden) != 1 or reg_cell is None or reg_cell.suppressed:
            continue
        assert reg_cell.needs is not None
        rest = sum(c.needs or 0 for k, c in members if not c.suppressed)
        key, cell = hidden[0]
        if cell.needs == reg_cell.needs - rest:
            found.append((key[0], key[1]))
    return found


def test_no_hidden_departement_is_recovered_from_the_region_table() -> None:
    report = validate_document(synth.generate(associations=3000), file="g3.json")
    assert report.bundle is not None
    data = list(report.bundle.needs)
    by_dep = aggregate(data, by="theme,dep")
    by_reg = aggregate(data, by="theme,reg")
    assert any(c.suppressed for c in by_dep.cells.values())
    assert _recoverable(by_dep, by_reg) == []
    # The région table publishes the very values of the département table's région totals.
    dep_entries = {**by_dep.published(), **by_dep.published_margins()}
    for key, cell in {**by_reg.published(), **by_reg.published_margins()}.items():
        assert dep_entries[key] == cell
    assert_secrecy(by_dep, data, SecrecyRules())
    assert_secrecy(by_reg, data, SecrecyRules())
