"""The programme rules (as data, overridable), the check of a year, and meeting preparation."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import attrs
import icalendar
import pytest
from click.testing import CliRunner

from pmae.analysis.invitations import Invitee, invitation_list
from pmae.analysis.programme import (
    ProgrammeRules,
    check_programme,
    default_rules,
    parse_rules,
)
from pmae.cli.programme import load_rules, programme
from pmae.io.bundles import write_bundle
from pmae.issues import Issue
from pmae.model import Bundle, Meeting, Production, Speaker, Workshop
from pmae.model.common import Person
from pmae.plugins.manager import make_plugin_manager
from pmae.render.invitations import NoCalendarExporterError, invitations_csv, write_calendar
from pmae.render.programme import (
    ProgrammeResults,
    RuleResult,
    describe_programme,
    programme_text,
)
from pmae.sample import load_sample
from pmae.sessions import Session

PARIS = dt.timezone(dt.timedelta(hours=1))
AFTER_2024 = dt.date(2025, 2, 1)
SAMPLE_CHECK = """\
Programme 2025 — Règles du document fondateur de la démarche PMAE
✔ cofil-count · Réunions du COFIL dans l'année : attendu ≥ 3, constaté 3
    réunions de type « Comité de pilotage (COFIL) » comptées en 2025 : 3
    réunions : pmae-ra:cofil-2025-1, pmae-ra:cofil-2025-2, pmae-ra:cofil-2025-3
✔ cofil-half-day · Durée de chaque COFIL (une demi-journée) : attendu ≤ 4 h 30, constaté 3/3
    réunions de type « Comité de pilotage (COFIL) » vérifiées en 2025 : 3, toutes conformes
    réunions : pmae-ra:cofil-2025-1, pmae-ra:cofil-2025-2, pmae-ra:cofil-2025-3
✔ rencontre-count · Rencontres régionales dans l'année : attendu ≥ 3, constaté 3
    réunions de type « Rencontre régionale » comptées en 2025 : 3
    réunions : pmae-ra:rencontre-2025-1, pmae-ra:rencontre-2025-2, pmae-ra:rencontre-2025-3
✔ rencontre-full-day · Durée de chaque Rencontre régionale (une journée) : attendu ≥ 5 h, \
constaté 3/3
    réunions de type « Rencontre régionale » vérifiées en 2025 : 3, toutes conformes
    réunions : pmae-ra:rencontre-2025-1, pmae-ra:rencontre-2025-2, pmae-ra:rencontre-2025-3
✔ rencontre-outside-speaker · Intervenant extérieur de chaque Rencontre régionale : \
attendu = 1, constaté 3/3
    réunions de type « Rencontre régionale » vérifiées en 2025 : 3, toutes conformes
    réunions : pmae-ra:rencontre-2025-1, pmae-ra:rencontre-2025-2, pmae-ra:rencontre-2025-3
✔ rencontre-workshop · Ateliers d'échange de chaque Rencontre régionale : attendu ≥ 1, \
constaté 3/3
    réunions de type « Rencontre régionale » vérifiées en 2025 : 3, toutes conformes
    réunions : pmae-ra:rencontre-2025-1, pmae-ra:rencontre-2025-2, pmae-ra:rencontre-2025-3
✔ production-count · Productions collectives de l'année : attendu ≥ 1, constaté 1
    productions collectives comptées pour 2025 : 1
    productions : pmae-ra:essentiels-formation
Règles respectées : 7 sur 7
"""


@pytest.fixture(scope="module")
def sample() -> Bundle:
    return load_sample()


@pytest.fixture(scope="module")
def sample_file(tmp_path_factory: pytest.TempPathFactory, sample: Bundle) -> Path:
    path = tmp_path_factory.mktemp("programme") / "sample.json"
    write_bundle(sample, path)
    return path


def _invoke(*args: str, obj: Any = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(programme, list(args), obj=obj)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    return result.exit_code, result.stdout, result.stderr


# --- a hand-made year that meets every rule, then broken one rule at a time ----------------


def _at(month: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2024, month, 10, hour, minute, tzinfo=PARIS)


def _cofil(n: int, hours: float = 3.5, **changes: Any) -> Meeting:
    start = _at(n * 3, 9)
    return Meeting(id=f"t:cofil-{n}", kind="cofil", title=f"COFIL {n}", start=start,
                   end=start + dt.timedelta(hours=hours), **changes)


def _rencontre(n: int, hours: float = 7.5, **changes: Any) -> Meeting:
    start = _at(n * 3 + 1, 9)
    fields: dict[str, Any] = {
        "speakers": (Speaker(organisation="Uniformation", outside=True),
                     Speaker(organisation="DLA du Rhône")),
        "workshops": (Workshop(title="Atelier"),),
    }
    fields.update(changes)
    return Meeting(id=f"t:rencontre-{n}", kind="rencontre_regionale", title=f"Rencontre {n}",
                   start=start, end=start + dt.timedelta(hours=hours), **fields)


def _year(*, cofils: tuple[Meeting, ...] | None = None,
          rencontres: tuple[Meeting, ...] | None = None,
          productions: tuple[Production, ...] | None = None) -> Bundle:
    sample = load_sample()
    meetings = (cofils if cofils is not None else tuple(_cofil(n) for n in (1, 2, 3))) + (
        rencontres if rencontres is not None else tuple(_rencontre(n) for n in (1, 2, 3)))
    if productions is None:
        productions = (Production(id="t:fiche", kind="fiche_thematique", title="Fiche",
                                  year=2024),)
    # The sample's responses and practices name its meetings and programme: they go too.
    return attrs.evolve(sample, meetings=meetings, productions=productions, programmes=(),
                        responses=(), practices=())


def _check(bundle: Bundle, year: int, rules: ProgrammeRules | None = None, *,
           today: dt.date, lang: str | None = None) -> ProgrammeResults:
    """The check of the year in words, as ``pmae programme check`` prints it."""
    return describe_programme(check_programme(bundle, year, rules, today=today), lang=lang)


def _results(bundle: Bundle, **kw: Any) -> dict[str, RuleResult]:
    check = _check(bundle, 2024, today=kw.pop("today", AFTER_2024), **kw)
    return {result.code: result for result in check.results}


def test_the_hand_made_year_meets_every_rule() -> None:
    check = _check(_year(), 2024, today=AFTER_2024)
    assert check.met is True
    assert [(r.code, r.met, r.expected, r.found) for r in check.results] == [
        ("cofil-count", True, "≥ 3", "3"),
        ("cofil-half-day", True, "≤ 4 h 30", "3/3"),
        ("rencontre-count", True, "≥ 3", "3"),
        ("rencontre-full-day", True, "≥ 5 h", "3/3"),
        ("rencontre-outside-speaker", True, "= 1", "3/3"),
        ("rencontre-workshop", True, "≥ 1", "3/3"),
        ("production-count", True, "≥ 1", "1"),
    ]
    assert check.issues == ()


def _broken(bundle: Bundle) -> list[RuleResult]:
    return [r for r in _check(bundle, 2024, today=AFTER_2024).results if not r.met]


def test_two_cofils_break_cofil_count_only() -> None:
    assert _broken(_year(cofils=(_cofil(1), _cofil(2)))) == [RuleResult(
        code="cofil-count", label="Réunions du COFIL dans l'année", met=False, expected="≥ 3",
        found="2", meetings=("t:cofil-1", "t:cofil-2"),
        message="réunions de type « Comité de pilotage (COFIL) » comptées en 2024 : 2")]


def test_a_full_day_cofil_breaks_cofil_half_day_only() -> None:
    # 4 h 30 is still a half-day; 4 h 31 is not.
    cofils = (_cofil(1, hours=4.5), _cofil(2, hours=4.5 + 1 / 60), _cofil(3, hours=6))
    assert _broken(_year(cofils=cofils)) == [RuleResult(
        code="cofil-half-day", label="Durée de chaque COFIL (une demi-journée)", met=False,
        expected="≤ 4 h 30", found="1/3", meetings=("t:cofil-2", "t:cofil-3"),
        message="hors règle : t:cofil-2 (4 h 31), t:cofil-3 (6 h)")]


def test_two_rencontres_break_rencontre_count_only() -> None:
    assert _broken(_year(rencontres=(_rencontre(1), _rencontre(3)))) == [RuleResult(
        code="rencontre-count", label="Rencontres régionales dans l'année", met=False,
        expected="≥ 3", found="2", meetings=("t:rencontre-1", "t:rencontre-3"),
        message="réunions de type « Rencontre régionale » comptées en 2024 : 2")]


def test_a_morning_rencontre_breaks_rencontre_full_day_only() -> None:
    rencontres = (_rencontre(1), _rencontre(2, hours=3), _rencontre(3, hours=5))
    assert _broken(_year(rencontres=rencontres)) == [RuleResult(
        code="rencontre-full-day", label="Durée de chaque Rencontre régionale (une journée)",
        met=False, expected="≥ 5 h", found="2/3", meetings=("t:rencontre-2",),
        message="hors règle : t:rencontre-2 (3 h)")]


def test_no_or_two_outside_speakers_break_rencontre_outside_speaker_only() -> None:
    inside = (Speaker(organisation="DLA du Rhône"),)
    two = (Speaker(organisation="Uniformation", outside=True),
           Speaker(organisation="Chorum", outside=True))
    rencontres = (_rencontre(1, speakers=inside), _rencontre(2), _rencontre(3, speakers=two))
    assert _broken(_year(rencontres=rencontres)) == [RuleResult(
        code="rencontre-outside-speaker",
        label="Intervenant extérieur de chaque Rencontre régionale", met=False, expected="= 1",
        found="1/3", meetings=("t:rencontre-1", "t:rencontre-3"),
        message="hors règle : t:rencontre-1 (aucun intervenant extérieur), "
                "t:rencontre-3 (2 intervenants extérieurs)")]


def test_a_rencontre_without_workshop_breaks_rencontre_workshop_only() -> None:
    rencontres = (_rencontre(1), _rencontre(2, workshops=()), _rencontre(3))
    assert _broken(_year(rencontres=rencontres)) == [RuleResult(
        code="rencontre-workshop", label="Ateliers d'échange de chaque Rencontre régionale",
        met=False, expected="≥ 1", found="2/3", meetings=("t:rencontre-2",),
        message="hors règle : t:rencontre-2 (aucun atelier)")]


def test_a_year_without_production_breaks_production_count_only() -> None:
    other_year = (Production(id="t:old", kind="fiche_thematique", title="Fiche", year=2023),)
    assert _broken(_year(productions=other_year)) == [RuleResult(
        code="production-count", label="Productions collectives de l'année", met=False,
        expected="≥ 1", found="0", productions=(),
        message="productions collectives comptées pour 2024 : 0")]


def test_cancelled_meetings_never_count() -> None:
    cofils = (_cofil(1), _cofil(2), _cofil(3, status="annulee"))
    assert [r.code for r in _broken(_year(cofils=cofils))] == ["cofil-count"]


def test_planned_meetings_count_until_the_year_is_over() -> None:
    bundle = _year(cofils=(_cofil(1), _cofil(2), _cofil(3, status="prevue")))
    during = _check(bundle, 2024, today=dt.date(2024, 5, 1))
    assert during.met is True
    assert during.issues == ()
    after = _check(bundle, 2024, today=AFTER_2024)
    assert [(r.code, r.found) for r in after.results if not r.met] == [("cofil-count", "2")]
    assert after.issues == (Issue(
        code="outdated-status", severity="warning", path="$.meetings[2].status",
        message="the meeting 't:cofil-3' of 2024-09-10 is still 'prevue': it is not counted, "
                "the year is over"),)


def test_planned_productions_count_until_the_year_is_over() -> None:
    planned = (Production(id="t:fiche", kind="fiche_thematique", title="Fiche", year=2024,
                          status="en_cours"),)
    bundle = _year(productions=planned)
    assert _results(bundle, today=dt.date(2024, 12, 31))["production-count"].met is True
    assert _results(bundle)["production-count"].met is False


def test_a_year_without_meetings_fails_the_counts_only() -> None:
    results = _results(_year(cofils=(), rencontres=()))
    assert [(code, r.met) for code, r in results.items()] == [
        ("cofil-count", False), ("cofil-half-day", True), ("rencontre-count", False),
        ("rencontre-full-day", True), ("rencontre-outside-speaker", True),
        ("rencontre-workshop", True), ("production-count", True)]
    assert results["cofil-half-day"].message == (
        "aucune réunion de type « Comité de pilotage (COFIL) » à vérifier en 2024")


# --- the sample, in French and English, library and command ----------------------------------


def test_the_sample_2025_meets_every_rule(sample: Bundle) -> None:
    check = _check(sample, 2025, today=dt.date(2026, 1, 15))
    assert check.met is True
    assert programme_text(check) == SAMPLE_CHECK


def test_english_output(sample: Bundle) -> None:
    check = _check(sample, 2025, today=dt.date(2026, 1, 15), lang="en")
    lines = programme_text(check).splitlines()
    assert lines[:4] == [
        "Programme 2025 — Rules of the founding document of the démarche PMAE",
        "✔ cofil-count · COFIL meetings in the year: expected ≥ 3, found 3",
        "    meetings of kind “Steering committee (COFIL)” counted in 2025: 3",
        "    meetings: pmae-ra:cofil-2025-1, pmae-ra:cofil-2025-2, pmae-ra:cofil-2025-3",
    ]
    assert lines[-1] == "Rules met: 7 of 7"


def test_check_command_on_the_sample(sample_file: Path) -> None:
    code, out, _ = _invoke("check", str(sample_file), "--today", "2026-01-15")
    assert (code, out) == (0, SAMPLE_CHECK)  # --year defaults to the programme's, 2025
    code, out, _ = _invoke("check", str(sample_file), "--year", "2025", "--format", "json")
    data = json.loads(out)
    assert (code, data["year"], data["met"], data["issues"]) == (0, 2025, True, [])
    assert data["results"][4] == {
        "code": "rencontre-outside-speaker",
        "label": "Intervenant extérieur de chaque Rencontre régionale", "met": True,
        "expected": "= 1", "found": "3/3",
        "meetings": ["pmae-ra:rencontre-2025-1", "pmae-ra:rencontre-2025-2",
                     "pmae-ra:rencontre-2025-3"],
        "productions": [],
        "message": "réunions de type « Rencontre régionale » vérifiées en 2025 : 3, "
                   "toutes conformes"}


def test_check_command_exit_codes(sample_file: Path, tmp_path: Path) -> None:
    code, out, _ = _invoke("check", str(sample_file), "--year", "2015")
    assert code == 1
    assert "✘ cofil-count · Réunions du COFIL dans l'année : attendu ≥ 3, constaté 0" in out
    broken = tmp_path / "broken.json"
    broken.write_text('{"format_version": "1.0.0"}', encoding="utf-8")
    code, _, err = _invoke("check", str(broken))
    assert code == 1 and "the bundle has errors" in err
    code, _, _ = _invoke("check", str(sample_file), "--format", "yaml")
    assert code == 2


# --- a region's rules -----------------------------------------------------------------------


def _write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_a_region_with_two_rencontres_a_year(tmp_path: Path) -> None:
    rules_file = _write(tmp_path / "savoie.json", {
        "title_fr": "Règles de la démarche PMAE en Savoie",
        "rules": [{"code": "rencontre-count", "min": 2, "max": 2}]})
    rules, issues = load_rules(rules_file)
    assert issues == [] and rules is not None
    assert [r.code for r in rules.rules] == [r.code for r in default_rules().rules]
    two = _year(rencontres=(_rencontre(1), _rencontre(2)))
    assert [r.code for r in _broken(two)] == ["rencontre-count"]
    region = _results(two, rules=rules)["rencontre-count"]
    assert (region.met, region.expected, region.found) == (True, "= 2", "2")
    three = _results(_year(), rules=rules)["rencontre-count"]
    assert (three.met, three.expected, three.found) == (False, "= 2", "3")
    bundle_file = tmp_path / "year.json"
    write_bundle(two, bundle_file)
    code, out, _ = _invoke("check", str(bundle_file), "--year", "2024", "--today", "2025-01-01")
    assert code == 1
    code, out, _ = _invoke("check", str(bundle_file), "--year", "2024", "--today", "2025-01-01",
                           "--rules", str(rules_file))
    assert code == 0
    assert out.splitlines()[0] == "Programme 2024 — Règles de la démarche PMAE en Savoie"
    assert "✔ rencontre-count · Rencontres régionales dans l'année : attendu = 2, constaté 2" in out


def test_a_region_adds_disables_and_replaces_rules() -> None:
    rules, issues = parse_rules({"rules": [
        {"code": "production-count", "enabled": False},
        {"code": "savoie:ateliers", "check": "meeting-count", "meeting_kind": "atelier",
         "min": 2, "label_fr": "Ateliers territoriaux", "label_en": "Local workshops"},
    ]})
    assert issues == [] and rules is not None
    assert rules.title_fr == "Règles du document fondateur de la démarche PMAE (adaptées)"
    assert [r.code for r in rules.rules] == [
        "cofil-count", "cofil-half-day", "rencontre-count", "rencontre-full-day",
        "rencontre-outside-speaker", "rencontre-workshop", "savoie:ateliers"]
    result = _results(_year(), rules=rules)["savoie:ateliers"]
    assert (result.met, result.label, result.expected, result.found) == (
        False, "Ateliers territoriaux", "≥ 2", "0")


def test_a_bad_rules_file_gives_issues_with_paths(tmp_path: Path) -> None:
    schema_broken = _write(tmp_path / "a.json", {"rules": [
        {"code": "rencontre-count", "min": "deux"},
        {"code": "cofil-count", "colour": 1},
        {"code": "x-count", "check": "meetings"},
    ]})
    _, issues = load_rules(schema_broken)
    assert [(i.code, i.path) for i in issues] == [
        ("wrong-type", "$.rules[0].min"),
        ("unknown-field", "$.rules[1].colour"),
        ("invalid-value", "$.rules[2].check"),
        ("missing-field", "$.rules[2].label_fr"),
        ("missing-field", "$.rules[2].label_en"),
    ]
    assert {i.file for i in issues} == {str(schema_broken)}
    rules, issues = parse_rules({"rules": [
        {"code": "rencontre-count", "min": 4, "max": 2},
        {"code": "cofil-half-day", "min": 1},
        {"code": "savoie:bilan", "min": 1},
        {"code": "savoie:visites", "check": "meeting-count", "label_fr": "Visites",
         "label_en": "Visits"},
        {"code": "cofil-count", "enabled": False},
        {"code": "cofil-count"},
    ]}, file="r.json")
    assert rules is None
    assert [i.render() for i in issues] == [
        "r.json:$.rules[0].min: error [min-above-max] 'min' (4) is above 'max' (2) in the rule "
        "'rencontre-count' — make the minimum no greater than the maximum",
        "r.json:$.rules[1].min: error [rule-parameter-not-used] 'min' is not a parameter of the "
        "check 'meeting-duration' (rule 'cofil-half-day') — the parameters of "
        "'meeting-duration' are meeting_kind, min_minutes, max_minutes",
        "r.json:$.rules[2].check: error [missing-field] 'check' is required: 'savoie:bilan' is "
        "not one of the default rules — give check, label_fr and label_en for a new rule, or "
        "use the code of a default rule (see docs/programme.md)",
        "r.json:$.rules[3].meeting_kind: error [missing-field] 'meeting_kind' is required by "
        "the check 'meeting-count' — add the field; see `pmae schema` for what it holds",
        "r.json:$.rules[3].min: error [missing-field] 'min' or 'max' is required by the check "
        "'meeting-count' — add the field; see `pmae schema` for what it holds",
        "r.json:$.rules[5].code: error [duplicate-id] the rule 'cofil-count' is given twice "
        "— give each rule once",
    ]


def test_check_command_refuses_a_bad_rules_file(sample_file: Path, tmp_path: Path) -> None:
    rules_file = _write(tmp_path / "bad.json", {"rules": [{"code": "rencontre-count",
                                                          "min": -1}]})
    code, out, err = _invoke("check", str(sample_file), "--rules", str(rules_file))
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        f"{rules_file}:$.rules[0].min: error [out-of-range] -1 is out of range: must be at "
        "least 0 — give a number within the allowed range",
        f"{rules_file}: the rules file has errors",
    ]
    code, out, _ = _invoke("check", str(sample_file), "--rules", str(tmp_path / "none.json"),
                           "--format", "json")
    assert code == 2
    assert [(i["code"], i["path"]) for i in json.loads(out)] == [("file-not-found", "$")]


# --- invitations ----------------------------------------------------------------------------

MDA_LYON = Invitee(
    actor="pmae-ra:mda-lyon", name="Maison des associations de Lyon",
    actor_type="maison_des_associations", territories=("com:69123",),
    email="contact@mda-lyon.example.org", phone="04 65 71 92 89",
    contacts=(Person(name="Inès Favre", role="Responsable de l'accueil",
                     email="ines.favre@mda-lyon.example.org", phone="04 65 71 94 59"),),
    registered=False, attended_last=True)


def test_invitations_by_territory_contain_communes(sample: Bundle) -> None:
    invitees = invitation_list(sample, "pmae-ra:rencontre-2025-3", territories=["dep:69"])
    assert [(i.actor, i.registered, i.attended_last) for i in invitees] == [
        ("pmae-ra:dla-69", True, True),
        ("pmae-ra:mda-lyon", False, True),
        ("pmae-ra:sdjes-69", False, False),
    ]
    assert invitees[1] == MDA_LYON


def test_invitations_by_type_and_territory(sample: Bundle) -> None:
    mdas = invitation_list(sample, "pmae-ra:rencontre-2025-3",
                           actor_types=["maison_des_associations"])
    assert [i.actor for i in mdas] == [
        "pmae-ra:mda-annecy", "pmae-ra:mda-chambery", "pmae-ra:mda-grenoble",
        "pmae-ra:mda-lyon", "pmae-ra:mda-saint-etienne", "pmae-ra:mda-valence"]
    both = invitation_list(sample, "pmae-ra:rencontre-2025-3", territories=["dep:69", "dep:38"],
                           actor_types=["maison_des_associations", "dla_departemental"])
    assert [i.actor for i in both] == [
        "pmae-ra:dla-38", "pmae-ra:dla-69", "pmae-ra:mda-grenoble", "pmae-ra:mda-lyon"]
    first = invitation_list(sample, "pmae-ra:rencontre-2025-1", territories=["com:69123"])
    assert [(i.actor, i.attended_last) for i in first] == [("pmae-ra:mda-lyon", None)]


def test_invitations_carry_contacts_for_the_network_only(sample: Bundle) -> None:
    public = invitation_list(sample, "pmae-ra:rencontre-2025-3", territories=["com:69123"],
                             audience="public")
    assert public == (attrs.evolve(MDA_LYON, email=None, phone=None, contacts=()),)
    network = invitation_list(sample, "pmae-ra:rencontre-2025-3", territories=["com:69123"])
    assert network == (MDA_LYON,)


def test_invitations_errors(sample: Bundle) -> None:
    with pytest.raises(KeyError, match="no meeting 't:none' in the bundle"):
        invitation_list(sample, "t:none")
    hidden = attrs.evolve(sample, meetings=tuple(
        attrs.evolve(m, visibility="network") for m in sample.meetings))
    with pytest.raises(KeyError, match="not visible to the audience 'public'"):
        invitation_list(hidden, "pmae-ra:cofil-2025-1", audience="public")


def test_invitations_csv_for_a_mail_merge(sample: Bundle, sample_file: Path) -> None:
    buffer = io.StringIO()
    invitations_csv(invitation_list(sample, "pmae-ra:rencontre-2025-3", territories=["dep:69"]),
                    buffer)
    expected = (
        "actor,name,actor_type,territories,email,phone,contact_name,contact_role,"
        "contact_email,contact_phone,registered,attended_last\r\n"
        "pmae-ra:dla-69,DLA du Rhône,dla_departemental,dep:69,contact@dla-69.example.org,"
        "04 65 71 19 47,Gilles Chapuis,Chargé de mission DLA,gilles.chapuis@dla-69.example.org,"
        "04 65 71 46 83,true,true\r\n"
        "pmae-ra:mda-lyon,Maison des associations de Lyon,maison_des_associations,com:69123,"
        "contact@mda-lyon.example.org,04 65 71 92 89,Inès Favre,Responsable de l'accueil,"
        "ines.favre@mda-lyon.example.org,04 65 71 94 59,false,true\r\n"
        "pmae-ra:sdjes-69,SDJES du Rhône,service_etat,dep:69,contact@sdjes-69.example.org,"
        "04 65 71 49 95,,,,,false,false\r\n")
    assert buffer.getvalue() == expected
    code, out, _ = _invoke("invitations", str(sample_file), "--meeting",
                           "pmae-ra:rencontre-2025-3", "--territory", "dep:69", "--format", "csv",
                           "--audience", "public")
    assert code == 0
    assert out.splitlines()[1:] == [
        "pmae-ra:dla-69,DLA du Rhône,dla_departemental,dep:69,,,,,,,true,true",
        "pmae-ra:mda-lyon,Maison des associations de Lyon,maison_des_associations,com:69123,"
        ",,,,,,false,true",
        "pmae-ra:sdjes-69,SDJES du Rhône,service_etat,dep:69,,,,,,,false,false",
    ]


def test_invitations_command_text_and_usage_errors(sample_file: Path) -> None:
    code, out, _ = _invoke("invitations", str(sample_file), "--meeting",
                           "pmae-ra:rencontre-2025-3", "--territory", "com:69123")
    assert (code, out.splitlines()) == (0, [
        "Rencontre régionale : modèles économiques et consolidation de l'emploi associatif "
        "— 9 octobre 2025",
        "Acteurs à inviter : 1 (membres des réseaux)",
        "- Maison des associations de Lyon (pmae-ra:mda-lyon) · Maison des associations · "
        "Lyon",
        "    contact@mda-lyon.example.org, 04 65 71 92 89 ; Inès Favre, Responsable de "
        "l'accueil, ines.favre@mda-lyon.example.org, 04 65 71 94 59",
        "    inscrit : non · présent à la précédente : oui",
    ])
    for args, word in ((("--meeting", "t:none"), "--meeting"),
                       (("--meeting", "pmae-ra:cofil-2025-1", "--territory", "dep:999"),
                        "--territory"),
                       (("--meeting", "pmae-ra:cofil-2025-1", "--type", "maison_des_asso"),
                        "maison_des_associations"),
                       (("--meeting", "pmae-ra:cofil-2025-1", "--audience", "everyone"),
                        "--audience")):
        code, _, err = _invoke("invitations", str(sample_file), *args)
        assert code == 2 and word in err, (args, err)


# --- the year's calendar ---------------------------------------------------------------------


@pytest.mark.pmae_plugins("pmae-ical")
def test_the_calendar_through_the_real_ical_exporter(sample_file: Path, tmp_path: Path) -> None:
    output = tmp_path / "2025.ics"
    manager = make_plugin_manager(load=["pmae-ical"])
    code, _, err = _invoke("calendar", str(sample_file), "--year", "2025", "-o", str(output),
                           obj=manager)
    assert (code, err) == (0, f"wrote {output}: 6 meeting(s) of 2025\n")
    calendar = icalendar.Calendar.from_ical(output.read_bytes())
    events = calendar.walk("VEVENT")
    meetings = sorted(str(e["UID"]) for e in events if "#workshop" not in str(e["UID"]))
    assert meetings == sorted(f"{m}@pmae" for m in (
        "pmae-ra:cofil-2025-1", "pmae-ra:cofil-2025-2", "pmae-ra:cofil-2025-3",
        "pmae-ra:rencontre-2025-1", "pmae-ra:rencontre-2025-2", "pmae-ra:rencontre-2025-3"))
    assert len(events) == 6 + 8  # the 8 timed workshops of the Rencontres are events too
    other_year = tmp_path / "2024.ics"
    write_calendar(load_sample(), 2024, other_year, session=Session(plugins=manager))
    assert icalendar.Calendar.from_ical(other_year.read_bytes()).walk("VEVENT") == []


def test_the_calendar_without_the_ical_plugin(sample_file: Path, tmp_path: Path) -> None:
    bare = make_plugin_manager(entry_points=False)
    output = tmp_path / "2025.ics"
    code, out, err = _invoke("calendar", str(sample_file), "-o", str(output), obj=bare)
    assert (code, out) == (2, "")
    assert "no iCalendar exporter is installed: pip install ./plugins/pmae-ical" in err
    assert not output.exists()
    with pytest.raises(NoCalendarExporterError, match=r"pip install \./plugins/pmae-ical"):
        write_calendar(load_sample(), 2025, output, session=Session(plugins=bare))
