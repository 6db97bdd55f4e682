"""The issues of reading tables (CSV, XLSX), questionnaire answers and programme rules speak
the run's language (``--lang`` or the locale) and keep their codes, in text and in JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_csv import _edit_offers, _full, _set
from test_xlsx import _edit, _tiny

from pmae.cli import cli
from pmae.exchange import export_bundle

LANGS = (("--lang", "fr"), ("--lang", "en"))


def _pmae(*args: str) -> tuple[int, str, str]:
    # A German locale: neither language, so only --lang decides (French would be the default).
    result = CliRunner(env={"LANGUAGE": None, "LC_ALL": None, "LANG": "de_DE.UTF-8"}).invoke(
        cli, list(args), prog_name="pmae")
    return result.exit_code, result.stdout, result.stderr


def _both(*args: str) -> tuple[str, str, list[dict[str, object]], list[dict[str, object]]]:
    """The text (stdout and stderr) in French and in English, and the JSON issues of both."""
    french, english = ("".join(_pmae(*lang, *args)[1:]) for lang in LANGS)
    as_json = [json.loads(_pmae(*lang, *args, "--format", "json")[1]) for lang in LANGS]
    return french, english, as_json[0], as_json[1]


def _codes(issues: list[dict[str, object]]) -> list[object]:
    return [issue["code"] for issue in issues]


def test_a_broken_offers_csv_speaks_the_language(tmp_path: Path) -> None:
    bundle, folder = _full(tmp_path)
    _edit_offers(folder, tmp_path / "offers.csv",
                 _set(bundle.offers[0].id, valid_from="01/09/25", couleur="bleu"))
    french, english, fr_json, en_json = _both(
        "import", "csv", str(tmp_path / "offers.csv"), "--option", "encoding=cp1252",
        "--into", str(tmp_path / "lot.json"), "-o", str(tmp_path / "out.json"))
    assert "[csv:short-year] '01/09/25' a une année à deux chiffres : le siècle n’est pas " \
           "certain — écrivez l’année avec quatre chiffres" in french
    assert "[csv:short-year] '01/09/25' has a two-digit year: which century is not certain " \
           "— write the year with four digits" in english
    assert "[csv:unknown-column] offers.csv n’a pas de colonne 'couleur' — retirez la " \
           "colonne ou corrigez son nom ; colonnes :" in french
    assert "[csv:unknown-column] offers.csv has no column 'couleur' — remove the column or " \
           "fix its name; columns:" in english
    assert _codes(fr_json) == _codes(en_json) and "csv:short-year" in _codes(fr_json)
    assert [i["message"] for i in fr_json] != [i["message"] for i in en_json]
    assert not (tmp_path / "out.json").exists()


def test_an_edited_workbook_speaks_the_language(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    export_bundle(_tiny(), "xlsx", path, audience="all")
    _edit(path, "associations", "SIREN", "7,75672E+08")       # a spreadsheet's rounding
    _edit(path, "offers", "Territoires", "dep:1")             # its zero lost
    french, english, fr_json, en_json = _both("import", "xlsx", str(path), "-o",
                                              str(tmp_path / "out.json"))
    assert "[xlsx:lost-digits] le SIREN '7,75672E+08' a été raccourci par un tableur" in french
    assert "mettez la colonne au format Texte" in french
    assert "[xlsx:lost-digits] the SIREN '7,75672E+08' was shortened by a spreadsheet" in english
    by_code = {i["code"]: i for i in fr_json}
    assert by_code["xlsx:leading-zero"]["message"] == \
        "'dep:1' lu comme 'dep:01' (un zéro initial avait été perdu)"
    assert {i["code"]: i for i in en_json}["xlsx:leading-zero"]["message"] == \
        "read 'dep:1' as 'dep:01' (a leading zero was lost)"
    assert _codes(fr_json) == _codes(en_json)


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    from pmae.sample import sample_bytes

    path = tmp_path / "sample.json"
    path.write_bytes(sample_bytes())
    return path


def test_an_answer_error_speaks_the_language(sample: Path, tmp_path: Path) -> None:
    answers = tmp_path / "answers.csv"
    answers.write_text("question,answer\nA1.2,7\nA9.9,1\nA1.2,2\n", encoding="utf-8")
    texts = ["".join(_pmae(*lang, "diagnose", "diagnostic-partage", "--answers", str(answers),
                           "--bundle", str(sample), "--association", "pmae-ra:asso-001")[1:])
             for lang in LANGS]
    assert "[duplicate-answer] la question 'A1.2' a deux réponses (la première à la ligne 2)" \
        in texts[0]
    assert "[duplicate-answer] question 'A1.2' is answered twice (first at line 2)" in texts[1]


def test_an_answer_out_of_the_scale_speaks_the_language() -> None:
    from pmae.diagnostics import evaluate, load_questionnaire
    from pmae.i18n import set_language
    from pmae.plugins.manager import make_plugin_manager

    tool = make_plugin_manager(entry_points=False).diagnostic("diagnostic-partage")
    said = {}
    for lang in ("fr", "en"):
        previous = set_language(lang)
        try:
            [issue] = evaluate(load_questionnaire(tool.questionnaire), {"A1.2": 7}).issues
        finally:
            set_language(previous)
        said[lang] = (issue.code, issue.message, issue.hint)
    assert said["fr"] == ("invalid-answer", "7 n’est pas un échelon de l’échelle",
                          "répondez par l’une des valeurs 0, 1, 2, 3, ou null pour « ne sait "
                          "pas »")
    assert said["en"] == ("invalid-answer", "7 is not a step of the scale",
                          'answer with one of 0, 1, 2, 3, or null for "ne sait pas"')


def test_a_programme_rule_issue_speaks_the_language(sample: Path, tmp_path: Path) -> None:
    rules = tmp_path / "r.json"
    rules.write_text(json.dumps({"rules": [{"code": "rencontre-count", "min": 4, "max": 2},
                                           {"code": "rencontre-count"}]}), encoding="utf-8")
    args = ("programme", "check", str(sample), "--rules", str(rules))
    french, english, fr_json, en_json = _both(*args)
    assert "[min-above-max] 'min' (4) est au-dessus de 'max' (2) dans la règle " \
           "'rencontre-count'" in french
    assert "[duplicate-id] la règle 'rencontre-count' est donnée deux fois — donnez chaque " \
           "règle une seule fois" in french
    assert "[min-above-max] 'min' (4) is above 'max' (2) in the rule 'rencontre-count'" \
        in english
    assert _codes(fr_json) == _codes(en_json) == ["min-above-max", "duplicate-id"]
