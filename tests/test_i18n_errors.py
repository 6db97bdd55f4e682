"""The errors the command line prints (``Erreur : …``) and the checks of a diagnostic tool's
questionnaire speak the run's language (``--lang`` or the locale), with the same exit codes and
issue codes in both languages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from test_engine import D2_1, _set, mini_data

from pmae.cli import cli
from pmae.diagnostics import parse_questionnaire
from pmae.i18n import set_language

LANGS = (("--lang", "fr"), ("--lang", "en"))


def _pmae(*args: str) -> tuple[int, str]:
    # A German locale: neither language, so only --lang decides.
    result = CliRunner(env={"LANGUAGE": None, "LC_ALL": None, "LANG": "de_DE.UTF-8"}).invoke(
        cli, list(args), prog_name="pmae")
    return result.exit_code, " ".join(result.stderr.split())


def _both(*args: str) -> tuple[str, str]:
    """The error line in French and in English; the exit code is the same."""
    (fr_code, french), (en_code, english) = (_pmae(*lang, *args) for lang in LANGS)
    assert fr_code == en_code != 0, (french, english)
    return french, english


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    from pmae.sample import sample_bytes

    path = tmp_path / "sample.json"
    path.write_bytes(sample_bytes())
    return path


def test_an_unknown_association_to_diagnose_speaks_the_language(sample: Path,
                                                                 tmp_path: Path) -> None:
    answers = tmp_path / "answers.csv"
    answers.write_text("question,answer\nA1.2,2\n", encoding="utf-8")
    french, english = _both("diagnose", "diagnostic-partage", "--answers", str(answers),
                            "--bundle", str(sample), "--association", "pmae-ra:asso-0001")
    assert "Erreur : pas d’association 'pmae-ra:asso-0001' dans le lot de 'pmae-ra' ; " \
           "vouliez-vous dire 'pmae-ra:asso-001'" in french
    assert "Error: no association 'pmae-ra:asso-0001' in the bundle of 'pmae-ra'; did you " \
           "mean 'pmae-ra:asso-001'" in english
    french, english = _both("diagnose", "diagnostic-partage", "--answers", str(answers),
                            "--bundle", str(sample), "--association", "xyz")
    assert "pas d’association 'xyz' dans le lot de 'pmae-ra' ; le lot a " in french
    assert french.rstrip(".").endswith(" associations")
    assert "no association 'xyz' in the bundle of 'pmae-ra'; the bundle has " in english


def test_an_unknown_association_to_orient_speaks_the_language(sample: Path) -> None:
    french, english = _both("orient", str(sample), "--association", "pmae-ra:zz")
    assert "pas d’association 'pmae-ra:zz' dans le lot" in french
    assert "no association 'pmae-ra:zz' in the bundle" in english


def test_an_unknown_tool_speaks_the_language() -> None:
    french, english = _both("diagnose", "nope")
    assert "'nope' n’est pas un nom connu (diagnostic) ; noms connus : diagnostic-partage" \
        in french
    assert "no diagnostic named 'nope'; known: diagnostic-partage" in english


def test_a_bad_export_option_speaks_the_language(sample: Path, tmp_path: Path) -> None:
    french, english = _both("export", str(sample), "--to", "csv", "--option", "dialect=odd",
                            "-o", str(tmp_path / "out.zip"))
    assert "dialecte CSV inconnu 'odd' ; utilisez l’un de rfc4180, excel" in french
    assert "unknown CSV dialect 'odd'; use one of rfc4180, excel" in english
    assert not (tmp_path / "out.zip").exists()


def test_a_territory_error_in_a_bundle_speaks_the_language(sample: Path,
                                                          tmp_path: Path) -> None:
    data = json.loads(sample.read_text(encoding="utf-8"))
    data["offers"][0]["territories"] = ["69"]
    bundle = tmp_path / "bad.json"
    bundle.write_text(json.dumps(data), encoding="utf-8")
    texts = [CliRunner(env={"LANGUAGE": None, "LANG": "de_DE.UTF-8"}).invoke(
        cli, [*lang, "validate", str(bundle)], prog_name="pmae").output for lang in LANGS]
    assert "[ambiguous-territory] '69' ne dit pas son niveau : est-ce une région, un " \
           "département, une commune ? — écrivez-le avec son niveau : dep:69" in texts[0]
    assert "[ambiguous-territory] '69' does not say its level: is it a région, a " \
           "département, a commune? — write it with its level: dep:69" in texts[1]


def test_a_bad_meeting_or_dimension_speaks_the_language(sample: Path) -> None:
    french, english = _both("programme", "invitations", str(sample), "--meeting", "t:none")
    assert "pas de rencontre 't:none' dans le lot" in french
    assert "no meeting 't:none' in the bundle" in english
    french, english = _both("programme", "invitations", str(sample), "--meeting",
                            "pmae-ra:cofil-2025-1", "--territory", "dep:999")
    assert "Valeur invalide pour --territory : 'dep:999' n’est pas un code 'dep' bien formé" \
        in french
    assert "'dep:999' is not a well-formed 'dep' code" in english
    french, english = _both("needs", str(sample), "--by", "theme,colour")
    assert "dimension inconnue 'colour' : attendu certaines de theme" in french
    assert "unknown dimension 'colour': expected some of theme" in english


def test_the_refusals_of_an_update_speak_the_language() -> None:
    """What ``pmae diagnose --bundle``, ``orient --record``… print when they write nothing."""
    from pmae.issues import Issue
    from pmae.updates import InvalidUpdateError, NewerFormatError

    bad = Issue(code="unknown-code", message="x", file="b.json")
    said = {}
    for lang in ("fr", "en"):
        previous = set_language(lang)
        try:
            said[lang] = (str(NewerFormatError("b.json", [])),
                          str(InvalidUpdateError("b.json", [bad])).splitlines()[0])
        finally:
            set_language(previous)
    assert said["fr"] == ("b.json contient des champs d’un format de lot plus récent que ce "
                          "pmae perdrait en le réécrivant",
                          "rien n’a été écrit : b.json ne serait pas valide avec ce changement "
                          "(1 erreur(s)) :")
    assert said["en"] == ("b.json holds fields of a newer bundle format that this pmae would "
                          "drop by writing it again",
                          "nothing was written: b.json would not be valid with this change "
                          "(1 error(s)):")


def test_the_library_s_sheet_errors_speak_the_language() -> None:
    from pmae.render.sheets.build import build_sheet
    from pmae.sample import load_sample

    said = {}
    for lang in ("fr", "en"):
        previous = set_language(lang)
        try:
            with pytest.raises(ValueError) as raised:
                build_sheet(load_sample(), "cuisine")
        finally:
            set_language(previous)
        said[lang] = str(raised.value)
    assert said == {"fr": "thème inconnu 'cuisine' : `pmae vocab themes` les liste",
                    "en": "unknown theme 'cuisine': `pmae vocab themes` lists them"}


# --- the checks of a tool's questionnaire --------------------------------------------------


def _issues(data: dict[str, Any], lang: str) -> list[tuple[str, str, str, str | None]]:
    previous = set_language(lang)
    try:
        questionnaire, issues = parse_questionnaire(data)
    finally:
        set_language(previous)
    assert questionnaire is None
    return [(issue.code, issue.path or "", issue.message, issue.hint) for issue in issues]


def test_the_checks_of_a_questionnaire_speak_the_language() -> None:
    """What a plugin author reads about the questionnaire of a tool (``pmae diagnose TOOL``,
    ``pmae plugins``): French or English, with the same codes and paths."""
    data = mini_data()
    _set(data, ("dimensions", 2, "id"), "D1")
    _set(data, (*D2_1, "bands", 2, "upto"), 2)
    _set(data, (*D2_1, "bands", 1, "score"), 4)
    _set(data, ("dimensions", 1, "questions", 1, "choices", 1, "value"), "oui")
    _set(data, ("scoring", "levels", 1, "below"), 40)
    _set(data, ("dimensions", 0, "themes"), ["paie", "recrutement"])
    french, english = _issues(data, "fr"), _issues(data, "en")
    assert [i[:2] for i in french] == [i[:2] for i in english]
    assert sorted({i[0] for i in french}) == [
        "duplicate-id", "invalid-bands", "invalid-levels", "out-of-range", "unknown-code"]
    said = {code: (message, hint) for code, _, message, hint in french}
    assert said["duplicate-id"][0].startswith("l’identifiant de dimension 'D1' est déjà pris "
                                              "par $.dimensions[0]")
    assert said["invalid-levels"][0].startswith("les niveaux doivent être dans l’ordre "
                                                "croissant de 'below' : 40 ne vient pas après")
    assert said["unknown-code"] == ("'paie' n’est pas un code du vocabulaire 'themes'",
                                    "voir `pmae vocab themes`")
    english_said = {code: (message, hint) for code, _, message, hint in english}
    assert english_said["unknown-code"] == ("'paie' is not a code of the vocabulary 'themes'",
                                            "see `pmae vocab themes`")
    assert english_said["invalid-bands"][1] == "sort the bands by 'upto', lowest first"
    assert said["invalid-bands"][1] == "triez les tranches par 'upto', la plus basse d’abord"
    assert all(f[2] != e[2] for f, e in zip(french, english, strict=True))


def test_the_store_s_errors_speak_the_language(tmp_path: Path) -> None:
    missing = str(tmp_path / "nowhere.db")
    french, english = _both("offers", "--db", missing)
    assert f"{missing} : aucune base ici ; publiez-y d’abord un lot " \
           f"(pmae publish BUNDLE --db {missing})" in french
    assert f"{missing}: no store here; publish a bundle into it first " \
           f"(pmae publish BUNDLE --db {missing})" in english
    folder = tmp_path / "folder"
    folder.mkdir()
    french, english = _both("offers", "--db", str(folder))
    assert "est un dossier ; donnez le chemin d’un fichier de base" in french
    assert "is a folder; give the path of a store file" in english
    french, english = _both("offers", "--db", "mysql://u:secret@host/db")
    assert "les bases pmae sont des fichiers SQLite" in french and "secret" not in french
    assert "pmae stores are SQLite files" in english and "secret" not in english
