"""The authoring kit (issue 13, point 6): ``pmae.testing``'s fixtures for importers, checks (with
the validation context) and diagnostic tools, used the way a plugin's own tests use them."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from pmae.diagnostics import Evaluation, Questionnaire, evaluate
from pmae.io.bundles import bundle_to_data
from pmae.io.checks import CheckContext
from pmae.issues import Issue
from pmae.model import Actor, Bundle, Source
from pmae.plugins import (
    Check,
    DiagnosticTool,
    Importer,
    ImportResult,
    Term,
    VocabularyExtension,
    hookimpl,
    make_plugin_manager,
)
from pmae.testing import (
    CheckHelper,
    DiagnoseHelper,
    ImportHelper,
    RegisterHelper,
)

THEME = "occitanie:tiers_lieux"


def _read_offers(path: Path, options: Mapping[str, str]) -> ImportResult:
    """One offer title per line, each offering the plugin's theme; a blank line is an issue."""
    document = bundle_to_data(_envelope())
    issues = []
    for row, title in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not title.strip():
            issues.append(Issue(code="occitanie:empty-line", severity="warning",
                                message="empty line skipped", file=str(path), line=row))
            continue
        document.setdefault("offers", []).append({"id": f"occ:offre-{row}", "actor": "occ:reseau",
                                   "title": title, "themes": [THEME], "stages": ["conseil"],
                                   "territories": ["reg:76"]})
    return ImportResult(document=document, issues=tuple(issues))


def _envelope() -> Bundle:
    return Bundle(source=Source(slug="occ", name="Occitanie"),
                  generated_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
                  actors=(Actor(id="occ:reseau", name="Réseau", actor_type="autre",
                                territories=("reg:76",)),))


def _tiers_lieux_offers(bundle: Bundle, context: CheckContext) -> Iterator[Issue]:
    themes = context.vocabularies["themes"]
    for index, offer in enumerate(bundle.offers):
        if THEME in offer.themes and themes.get(THEME) is not None:
            yield Issue(code="occitanie:tiers-lieux", severity="info", path=f"$.offers[{index}]",
                        message=f"{themes.label(THEME)}: {offer.title}")


def _yields_a_string(bundle: Bundle, context: CheckContext) -> Iterator[Any]:
    yield "not an issue"


def _score_doubled(questionnaire: Questionnaire, answers: Mapping[str, object]) -> Evaluation:
    import attrs

    result = evaluate(questionnaire, answers)
    return attrs.evolve(result, scores={k: min(100.0, v * 2) for k, v in result.scores.items()})


class Occitanie:
    """A region's plugin: a theme, an importer, checks and a tool with its own scoring."""

    @hookimpl
    def pmae_register_vocabularies(self, register: Any) -> None:
        register(VocabularyExtension(vocabulary="themes", namespace="occitanie", terms=(
            Term(code=THEME, label_fr="Tiers-lieux", label_en="Third places"),),
            territories=("reg:76",)))

    @hookimpl
    def pmae_register_importers(self, register: Any) -> None:
        register(Importer(name="offres-occitanie", title="Offres", read=_read_offers))

    @hookimpl
    def pmae_register_checks(self, register: Any) -> None:
        register(Check(name="tiers-lieux", title="Tiers-lieux", check=_tiers_lieux_offers,
                       codes=("occitanie:tiers-lieux",)))

    @hookimpl
    def pmae_register_diagnostics(self, register: Any) -> None:
        core = make_plugin_manager(entry_points=False).diagnostic("vigilance-economique")
        data = copy.deepcopy(dict(core.questionnaire))
        data["id"] = "occitanie:vigilance"
        data["dimensions"][0]["themes"] = [THEME]
        register(DiagnosticTool(name="occitanie:vigilance", title="Vigilance",
                                version=data["version"], questionnaire=data,
                                score=_score_doubled))


class Wrong:
    """A check that yields something other than an issue."""

    @hookimpl
    def pmae_register_checks(self, register: Any) -> None:
        register(Check(name="wrong", title="Wrong", check=_yields_a_string))


def test_pmae_import_reads_and_validates_like_pmae_import(
        pmae_register: RegisterHelper, pmae_import: ImportHelper, tmp_path: Path) -> None:
    pmae_register(Occitanie)
    path = tmp_path / "offres.txt"
    path.write_text("Café associatif\n\nFabLab\n", encoding="utf-8")
    report = pmae_import(path, "offres-occitanie")
    # The plugin's theme is known to validation, its check ran, the importer's issue is kept.
    assert sorted((i.code, i.line) for i in report.issues) == [
        ("occitanie:empty-line", 2), ("occitanie:tiers-lieux", None),
        ("occitanie:tiers-lieux", None)]
    assert report.bundle is not None
    assert [o.title for o in report.bundle.offers] == ["Café associatif", "FabLab"]


def test_pmae_check_runs_one_check_with_the_validation_context(
        pmae_register: RegisterHelper, pmae_check: CheckHelper, pmae_import: ImportHelper,
        tmp_path: Path) -> None:
    pmae_register(Occitanie)
    path = tmp_path / "offres.txt"
    path.write_text("FabLab\n", encoding="utf-8")
    bundle = pmae_import(path, "offres-occitanie").bundle
    assert bundle is not None
    assert [(i.code, i.path, i.message) for i in pmae_check(bundle, "Occitanie:tiers-lieux")] == [
        ("occitanie:tiers-lieux", "$.offers[0]", "Tiers-lieux: FabLab")]
    with pytest.raises(LookupError, match="0 checks named 'nope'; known: Occitanie:tiers-lieux"):
        pmae_check(bundle, "nope")
    pmae_register(Wrong)
    with pytest.raises(AssertionError, match="yielded 'not an issue', not an Issue"):
        pmae_check(bundle, "wrong")


def test_pmae_diagnose_scores_with_the_tools_own_function(
        pmae_register: RegisterHelper, pmae_diagnose: DiagnoseHelper) -> None:
    assert pmae_register(Occitanie).status == "loaded"
    core = make_plugin_manager(entry_points=False).diagnostic("vigilance-economique")
    answers = {question["id"]: 1 for dimension in core.questionnaire["dimensions"]
               for question in dimension["questions"]}
    standard = pmae_diagnose("vigilance-economique", answers)
    doubled = pmae_diagnose("occitanie:vigilance", answers)
    assert doubled.tool == "occitanie:vigilance"
    assert doubled.scores == {k: min(100.0, v * 2) for k, v in standard.scores.items()}
    assert doubled.scores != standard.scores
