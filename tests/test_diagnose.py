"""``pmae diagnose``: listing tools, answers templates, scoring a file and recording it in a
bundle, and the questions asked on a real pseudo-terminal."""

from __future__ import annotations

import codecs
import datetime as dt
import json
import os
import select
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pmae.analysis.diagnosing import (
    UnknownAssociationError,
    next_diagnosis_id,
    record_diagnosis,
    run_tool,
)
from pmae.cli.diagnose import diagnose
from pmae.diagnostics import Evaluation, Questionnaire, evaluate, read_answers
from pmae.io.bundles import write_bundle
from pmae.io.pipeline import load_bundle, validate_file
from pmae.plugins.items import DiagnosticTool
from pmae.plugins.manager import get_plugin_manager, make_plugin_manager
from pmae.sample import load_sample

ANSWERS = Path(__file__).resolve().parent / "data" / "answers"
FRAGILE = ANSWERS / "diagnostic-partage-fragile.json"
ASSOCIATION = "pmae-ra:asso-001"
#: The ids of the needs the FRAGILE answers create, as `pmae diagnose` prints them.
NEEDS_CREATED = ", ".join(f"pmae-ra:diag-1-besoin-{i}" for i in range(1, 6))
ASSOCIATION_NAME = "École de musique de Saint-Martin-d'Hères"

#: The summary of tests/data/answers/diagnostic-partage-fragile.json, in French.
FRAGILE_SUMMARY = [
    "Diagnostic partagé PMAE — diagnostic-partage 1.0",
    f"Association : {ASSOCIATION_NAME} ({ASSOCIATION})",
    "Réponses : 29/30, 1 « ne sait pas » — complétude 96,7 %",
    "",
    "Dimensions",
    "  A1  Projet et activités          33,3  Fragile",
    "  A2  Gouvernance                  26,7  Fragile",
    "  A3  Emploi                       20,0  Fragile",
    "  A4  Modèle économique            40,0  À consolider",
    "  A5  Partenariats et territoire   41,7  À consolider",
    "  A6  Communication et outils      33,3  Fragile",
    "",
    "Alertes",
    "  aucune",
    "",
    "Besoins",
    "  1. Modèle économique — priorité 2, Conseil, intensité 31",
    "  2. Gouvernance et fonction employeur — priorité 2, Conseil, intensité 23",
    "  3. Projet d'emploi — priorité 2, Conseil, intensité 19",
    "  4. Gouvernance et projet associatif — priorité 2, Conseil, intensité 18",
    "  5. Partenariats et ancrage territorial — priorité 2, Information, intensité 11",
]


@pytest.fixture(autouse=True)
def _core_plugins_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """pmae's built-ins only, whatever else is installed: the real allow-list, set empty."""
    monkeypatch.setenv("PMAE_LOAD_PLUGINS", "")
    get_plugin_manager.cache_clear()
    yield
    get_plugin_manager.cache_clear()


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    path = tmp_path / "sample.json"
    code, _, _ = _invoke_cli("sample", "-o", str(path))
    assert code == 0
    return path


def _invoke_cli(*args: str) -> tuple[int, str, str]:
    from pmae.cli import cli

    result = CliRunner().invoke(cli, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    return result.exit_code, result.stdout, result.stderr


def _invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(diagnose, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    return result.exit_code, result.stdout, result.stderr


def _invoke_fr(*args: str) -> tuple[int, str, str]:
    """As a French user runs it (the suite runs in English): questions, result and messages
    in French."""
    return _invoke(*args, "--lang", "fr")


def _diagnostic_partage() -> DiagnosticTool:
    return make_plugin_manager(entry_points=False).diagnostic("diagnostic-partage")


# --- --list and --blank ------------------------------------------------------------------------


def test_list_shows_the_reference_tools() -> None:
    code, out, _ = _invoke_fr("--list")
    assert code == 0
    assert out.splitlines() == [
        "diagnostic-partage    1.0   30 questions  Diagnostic partagé PMAE  "
        "[reference_diagnostics]",
        "gouvernance           1.0   25 questions  Gouvernance associative  "
        "[reference_diagnostics]",
        "vigilance-economique  1.0   25 questions  Vigilance économique  [reference_diagnostics]",
        "fonction-employeur    1.0   36 questions  Fonction employeur  [reference_diagnostics]",
    ]
    code, out, _ = _invoke("--list", "--format", "json", "--lang", "en")
    assert code == 0
    assert json.loads(out) == [
        {"name": "diagnostic-partage", "version": "1.0", "title": "PMAE shared diagnosis",
         "plugin": "reference_diagnostics", "questions": 30},
        {"name": "gouvernance", "version": "1.0", "title": "Association governance",
         "plugin": "reference_diagnostics", "questions": 25},
        {"name": "vigilance-economique", "version": "1.0", "title": "Economic early warning",
         "plugin": "reference_diagnostics", "questions": 25},
        {"name": "fonction-employeur", "version": "1.0", "title": "Employer function",
         "plugin": "reference_diagnostics", "questions": 36},
    ]


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_blank_template_round_trips_through_read_answers(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"blank.{fmt}"
    code, out, err = _invoke("vigilance-economique", "--blank", "--format", fmt, "-o", str(path))
    assert (code, out, err) == (0, "", f"wrote {path}\n")
    answers, issues = read_answers(path)
    tool = make_plugin_manager(entry_points=False).diagnostic("vigilance-economique")
    ids = [q["id"] for d in tool.questionnaire["dimensions"] for q in d["questions"]]
    assert (answers, issues) == ({qid: None for qid in ids}, [])
    # The same template on standard output.
    code, out, _ = _invoke("vigilance-economique", "--blank", "--format", fmt)
    assert (code, out) == (0, path.read_text(encoding="utf-8"))


def test_blank_templates_list_the_questions_in_order() -> None:
    _, out, _ = _invoke_fr("diagnostic-partage", "--blank", "--format", "csv")
    assert out.splitlines()[:3] == [
        "question,answer,text",
        "A1.1,,Le projet associatif est-il écrit et a-t-il été revu au cours des cinq dernières "
        "années ?",
        "A1.2,,Les salariés peuvent-ils relier leur poste au projet associatif ?",
    ]
    _, out, _ = _invoke_fr("diagnostic-partage", "--blank")
    assert out.splitlines()[:3] == ["{", '  "A1.1": null,', '  "A1.2": null,']


# --- scoring an answers file -------------------------------------------------------------------


def test_answers_file_prints_the_result_and_records_it(sample: Path) -> None:
    before = load_bundle(sample)
    code, out, err = _invoke_fr("diagnostic-partage", "--answers", str(FRAGILE), "--bundle",
                             str(sample), "--association", ASSOCIATION, "--date", "2025-06-02",
                             "--advisor", "pmae-ra:dla-69")
    assert code == 0, err
    assert out.splitlines() == FRAGILE_SUMMARY
    assert err == (f"Enregistré dans {sample} : diagnostic pmae-ra:diag-1, 5 besoin(s). "
                   "[diagnoses : 1 ajouté(s) ; needs : 5 ajouté(s)]\n"
                   f"Besoins créés : {NEEDS_CREATED}\n"
                   f"Pour les orienter : pmae orient {sample} --association {ASSOCIATION}\n")
    report = validate_file(sample)
    assert [i for i in report.issues if i.severity == "error"] == []
    after = report.bundle
    assert after is not None
    # Nothing already stored is lost: the old records come first, unchanged.
    assert after.diagnoses[:-1] == before.diagnoses
    assert after.needs[:-5] == before.needs
    for name in ("actors", "offers", "associations", "referrals", "meetings", "productions",
                 "resources", "programmes"):
        assert getattr(after, name) == getattr(before, name)
    assert (after.source, after.licence) == (before.source, before.licence)
    diagnosis = after.diagnoses[-1]
    expected_answers = json.loads(FRAGILE.read_text(encoding="utf-8"))
    assert (diagnosis.id, diagnosis.association, diagnosis.tool, diagnosis.date,
            diagnosis.advisor, diagnosis.answers) == (
        "pmae-ra:diag-1", ASSOCIATION, "diagnostic-partage", dt.date(2025, 6, 2),
        "pmae-ra:dla-69", expected_answers)
    assert diagnosis.scores == {"A1": 33.3, "A2": 26.7, "A3": 20.0, "A4": 40.0, "A5": 41.7,
                                "A6": 33.3}
    assert diagnosis.needs == tuple(f"pmae-ra:diag-1-besoin-{n}" for n in range(1, 6))
    assert [(n.id, n.theme, n.priority, n.stage, n.intensity, n.diagnosis, n.territory)
            for n in after.needs[-5:]] == [
        ("pmae-ra:diag-1-besoin-1", "modele_economique", 2, "conseil", 31.0,
         "pmae-ra:diag-1", "com:38421"),
        ("pmae-ra:diag-1-besoin-2", "gouvernance_employeur", 2, "conseil", 23.0,
         "pmae-ra:diag-1", "com:38421"),
        ("pmae-ra:diag-1-besoin-3", "projet_emploi", 2, "conseil", 19.0,
         "pmae-ra:diag-1", "com:38421"),
        ("pmae-ra:diag-1-besoin-4", "gouvernance_projet", 2, "conseil", 18.0,
         "pmae-ra:diag-1", "com:38421"),
        ("pmae-ra:diag-1-besoin-5", "partenariats_territoire", 2, "information", 11.0,
         "pmae-ra:diag-1", "com:38421"),
    ]
    # A second diagnosis gets the next number.
    code, _, err = _invoke_fr("diagnostic-partage", "--answers", str(FRAGILE), "--bundle",
                           str(sample), "--association", ASSOCIATION)
    assert (code, err) == (0, f"Enregistré dans {sample} : diagnostic pmae-ra:diag-2, "
                              "5 besoin(s). [diagnoses : 1 ajouté(s) ; needs : 5 ajouté(s)]\n"
                              f"Besoins créés : {NEEDS_CREATED.replace('diag-1', 'diag-2')}\n"
                              f"Pour les orienter : pmae orient {sample} --association "
                              f"{ASSOCIATION}\n")


def test_answers_file_to_another_output_leaves_the_input(sample: Path, tmp_path: Path) -> None:
    original = sample.read_bytes()
    out_path = tmp_path / "out.jsonl"
    code, _, err = _invoke("diagnostic-partage", "--answers", str(FRAGILE), "--bundle",
                           str(sample), "--association", ASSOCIATION, "-o", str(out_path),
                           "--lang", "en")
    assert (code, err) == (0, f"Recorded in {out_path}: diagnosis pmae-ra:diag-1, 5 need(s). "
                              "[diagnoses: 1 added; needs: 5 added]\n"
                              f"Needs created: {NEEDS_CREATED}\n"
                              f"To orient them: pmae orient {out_path} --association "
                              f"{ASSOCIATION}\n")
    assert sample.read_bytes() == original
    assert len(load_bundle(out_path).diagnoses) == len(load_bundle(sample).diagnoses) + 1


def test_answers_without_bundle_only_print(tmp_path: Path) -> None:
    code, out, err = _invoke_fr("diagnostic-partage", "--answers", str(FRAGILE))
    assert (code, err) == (0, "")
    assert out.splitlines() == [FRAGILE_SUMMARY[0], *FRAGILE_SUMMARY[2:]]
    code, out, _ = _invoke_fr("diagnostic-partage", "--answers", str(FRAGILE), "--format", "json")
    data = json.loads(out)
    assert code == 0
    assert (data["tool"], data["completeness"], data["scores"]["A2"], data["levels"]["A4"],
            data["alerts"], data["issues"], data["diagnosis"]) == (
        "diagnostic-partage", 0.967, 26.7, "a_consolider", [], [], None)
    assert data["needs"][0] == {
        "theme": "modele_economique", "stage": "conseil", "priority": 2, "intensity": 31.0,
        "reasons": ["A3.4", "A4.1", "A4.2", "A4.3", "A4.4", "A4.5", "A5.5"]}


def _bad_answers(tmp_path: Path) -> Path:
    path = tmp_path / "answers.csv"
    path.write_text("question,answer\nA1.1,2\nA1.2,7\nA9.9,1\nA1.3,oui\n", encoding="utf-8")
    return path


def test_invalid_answers_write_nothing(sample: Path, tmp_path: Path) -> None:
    answers = _bad_answers(tmp_path)
    original = sample.read_bytes()
    code, out, err = _invoke_fr("diagnostic-partage", "--answers", str(answers), "--bundle",
                             str(sample), "--association", ASSOCIATION)
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        f"{answers}:3: error [invalid-answer] A1.2: 7 n’est pas un échelon de l’échelle — "
        "répondez par l’une des valeurs 0, 1, 2, 3, ou null pour « ne sait pas »",
        f"{answers}:4: error [unknown-question] A9.9: 'A9.9' n’est pas une question de "
        "'diagnostic-partage' — vérifiez l’identifiant de la question dans le questionnaire",
        f"{answers}:5: error [invalid-answer] A1.3: 'oui' n’est pas un échelon de l’échelle — "
        "répondez par l’une des valeurs 0, 1, 2, 3, ou null pour « ne sait pas »",
        f"{answers} : rien n’a été écrit : corrigez les réponses, ou donnez --accept-partial "
        "pour n’évaluer que les réponses valides",
    ]
    assert sample.read_bytes() == original
    # --accept-partial records the valid answers only.
    code, _, err = _invoke_fr("diagnostic-partage", "--answers", str(answers), "--bundle",
                           str(sample), "--association", ASSOCIATION, "--accept-partial")
    assert code == 0
    assert err.splitlines()[-1] == (f"Enregistré dans {sample} : diagnostic pmae-ra:diag-1, "
                                    "0 besoin(s). [diagnoses : 1 ajouté(s)]")
    assert load_bundle(sample).diagnoses[-1].answers == {"A1.1": 2}


def test_unreadable_answers_are_refused_even_partial(sample: Path, tmp_path: Path) -> None:
    answers = tmp_path / "answers.json"
    answers.write_text('{"A1.1": 2,', encoding="utf-8")
    code, _, err = _invoke("diagnostic-partage", "--answers", str(answers), "--bundle",
                           str(sample), "--association", ASSOCIATION, "--accept-partial")
    assert code == 1
    assert err.splitlines()[-1] == f"{answers}: cannot read the answers; nothing was written"


def test_usage_errors(sample: Path) -> None:
    code, _, err = _invoke("nope")
    assert code == 2
    assert ("no diagnostic named 'nope'; known: diagnostic-partage, fonction-employeur, "
            "gouvernance, vigilance-economique") in err
    code, _, err = _invoke("diagnostic-partage", "--answers", str(FRAGILE), "--bundle",
                           str(sample), "--association", "pmae-ra:asso-0001")
    assert code == 2
    assert ("no association 'pmae-ra:asso-0001' in the bundle of 'pmae-ra'; did you mean "
            "'pmae-ra:asso-001'") in err
    code, _, err = _invoke("diagnostic-partage", "--answers", str(FRAGILE), "--bundle",
                           str(sample))
    assert code == 2 and "--bundle and --association go together" in err
    code, _, err = _invoke()
    assert code == 2 and "give a TOOL" in err
    # No terminal on stdin and no --answers: say to pass --answers.
    code, _, err = _invoke("diagnostic-partage", "--bundle", str(sample), "--association",
                           ASSOCIATION)
    assert code == 2
    assert "standard input is not a terminal" in err and "--answers FILE" in err


def test_invalid_bundle_prints_its_issues(tmp_path: Path) -> None:
    data = json.loads(load_sample_bytes())
    data["associations"][0]["size_band"] = "99"
    bundle = tmp_path / "bad.json"
    bundle.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    original = bundle.read_bytes()
    code, out, err = _invoke("diagnostic-partage", "--answers", str(FRAGILE), "--bundle",
                             str(bundle), "--association", ASSOCIATION)
    assert (code, out) == (1, "")
    assert f"{bundle}:$.associations[0].size_band: error [unknown-code]" in err
    assert err.splitlines()[-1] == (f"{bundle}: the bundle has errors; fix them first "
                                    "(nothing was written)")
    assert bundle.read_bytes() == original


def load_sample_bytes() -> bytes:
    from pmae.sample import sample_bytes

    return sample_bytes()


# --- the library functions ---------------------------------------------------------------------


def test_record_diagnosis_refuses_an_unknown_association() -> None:
    bundle = load_sample()
    evaluation = run_tool(_diagnostic_partage(), {"A1.1": 2})
    with pytest.raises(UnknownAssociationError) as raised:
        record_diagnosis(bundle, evaluation, association_id="pmae-ra:inconnue",
                         date=dt.date(2025, 1, 1))
    assert str(raised.value).startswith("no association 'pmae-ra:inconnue' in the bundle of "
                                        "'pmae-ra'")
    recorded = record_diagnosis(bundle, evaluation, association_id=ASSOCIATION,
                                date=dt.date(2025, 1, 1))
    assert next_diagnosis_id(bundle) == "pmae-ra:diag-1"
    assert next_diagnosis_id(recorded) == "pmae-ra:diag-2"
    with pytest.raises(ValueError, match="'pmae-ra:diag-1' is already used"):
        record_diagnosis(recorded, evaluation, association_id=ASSOCIATION,
                         date=dt.date(2025, 1, 1), diagnosis_id="pmae-ra:diag-1")


def test_run_tool_uses_the_tools_own_scoring() -> None:
    seen: list[dict[str, object]] = []

    def score(questionnaire: Questionnaire, answers: dict[str, object]) -> Evaluation:
        seen.append(dict(answers))
        return evaluate(questionnaire, {key: 3 for key in answers})

    reference = _diagnostic_partage()
    tool = DiagnosticTool(name=reference.name, title=reference.title, version=reference.version,
                          questionnaire=reference.questionnaire, score=score)
    evaluation = run_tool(tool, {"A1.1": 0})
    assert (seen, evaluation.answers) == ([{"A1.1": 0}], {"A1.1": 3})

    def wrong(questionnaire: Questionnaire, answers: dict[str, object]) -> Any:
        return {"A1": 100}

    with pytest.raises(TypeError, match=r"returned a dict, not a pmae\.diagnostics\.Evaluation"):
        run_tool(DiagnosticTool(name=reference.name, title=reference.title,
                                version=reference.version,
                                questionnaire=reference.questionnaire, score=wrong), {})


# --- the questions on a real pseudo-terminal ---------------------------------------------------


class Terminal:
    """``python -m pmae.cli.diagnose`` on a pseudo-terminal, driven like a person would."""

    def __init__(self, args: list[str], cwd: Path) -> None:
        master, slave = os.openpty()
        # A French user's terminal: the questions and their prompts are read in French.
        env = {**os.environ, "PMAE_LOAD_PLUGINS": "", "PYTHONIOENCODING": "utf-8",
               "LANGUAGE": "fr"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pmae.cli.diagnose", *args],
            stdin=slave, stdout=slave, stderr=slave, cwd=cwd, env=env, start_new_session=True)
        os.close(slave)
        self.master = master
        self.decoder = codecs.getincrementaldecoder("utf-8")()
        self.raw = ""
        self.seen = 0

    @property
    def text(self) -> str:
        """Everything shown so far, with the terminal's line ends as ``\\n``."""
        return self.raw.replace("\r\n", "\n")

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return False
        try:
            data = os.read(self.master, 65536)
        except OSError:  # EIO: the other side is closed
            data = b""
        if not data:
            raise EOFError
        self.raw += self.decoder.decode(data)
        return True

    def expect(self, wanted: str, timeout: float = 15) -> str:
        """Wait until ``wanted`` shows; return what showed before it since the last expect."""
        deadline = dt.datetime.now() + dt.timedelta(seconds=timeout)
        while wanted not in self.text[self.seen:]:
            remaining = (deadline - dt.datetime.now()).total_seconds()
            try:
                if remaining <= 0 or not self._read(remaining):
                    raise AssertionError(f"{wanted!r} never showed; got:\n{self.text[self.seen:]}")
            except EOFError:
                raise AssertionError(f"{wanted!r} never showed before the end; got:\n"
                                     f"{self.text[self.seen:]}") from None
        start = self.text.index(wanted, self.seen)
        before = self.text[self.seen:start]
        self.seen = start + len(wanted)
        return before

    def send(self, line: str) -> None:
        os.write(self.master, line.encode() + b"\r")

    def answer(self, line: str) -> None:
        """Wait for the prompt, then type ``line``."""
        self.expect("Réponse : ")
        self.send(line)

    def finish(self) -> tuple[int, str]:
        """Read to the end; the exit code and what showed since the last expect."""
        try:
            while True:
                self._read(15)
        except EOFError:
            pass
        code = self.process.wait(timeout=15)
        os.close(self.master)
        return code, self.text[self.seen:]


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[list[Terminal]]:
    started: list[Terminal] = []
    yield started
    for term in started:
        if term.process.poll() is None:
            term.process.kill()
            term.process.wait()


def test_questions_on_a_terminal_quit_and_resume(sample: Path, tmp_path: Path,
                                                 terminal: list[Terminal]) -> None:
    args = ["diagnostic-partage", "--bundle", "sample.json", "--association", ASSOCIATION,
            "--date", "2025-06-03"]
    term = Terminal(args, tmp_path)
    terminal.append(term)
    term.expect("Réponse : ")
    first = term.text
    assert first.endswith("\n".join([
        "A1 — Projet et activités",
        "A1.1 — 1/30",
        "Le projet associatif est-il écrit et a-t-il été revu au cours des cinq dernières "
        "années ?",
        "  0  Non / jamais",
        "  1  Partiellement",
        "  2  Plutôt oui",
        "  3  Oui, formalisé et à jour",
        "  ?  Ne sait pas",
        "  s passer · b question précédente · q quitter (pour reprendre plus tard)",
        "Réponse : ",
    ])), first
    term.send("2")
    assert term.expect("Réponse : ").endswith("A1.2 — 2/30\n" + "".join(
        _question_text("A1.2")) + "\n  0  Non / jamais\n  1  Partiellement\n  2  Plutôt oui\n"
        "  3  Oui, formalisé et à jour\n  ?  Ne sait pas\n  s passer · b question précédente · "
        "q quitter (pour reprendre plus tard)\n")
    term.send("7")  # not an answer: asked again
    term.expect("« 7 » n'est pas une réponse : tapez 0, 1, 2, 3, ?, s, b ou q.\nRéponse : ")
    term.send("1")
    term.answer("b")  # back from A1.3 to A1.2, which shows its answer
    shown = term.expect("Réponse : ")
    assert "A1.2 — 2/30" in shown
    assert "  Réponse actuelle : 1 (Partiellement) (Entrée pour la garder)\n" in shown
    term.send("3")
    term.expect("A1.3 — 3/30")
    term.answer("s")
    term.expect("A1.4 — 4/30")
    term.answer("?")
    term.expect("A1.5 — 5/30")
    term.answer("q")
    partial = "pmae-ra-asso-001-diagnostic-partage.partial.json"
    code, rest = term.finish()
    assert code == 0
    assert rest.splitlines()[-2:] == [
        f"3 réponse(s) sur 30 enregistrée(s) dans {partial}.",
        "Pour reprendre : pmae diagnose diagnostic-partage --bundle sample.json --association "
        f"pmae-ra:asso-001 --date 2025-06-03 --resume {partial}",
    ]
    assert json.loads((tmp_path / partial).read_text(encoding="utf-8")) == {
        "A1.1": 2, "A1.2": 3, "A1.4": None}
    assert len(load_bundle(sample).diagnoses) == 10

    # Resuming starts at the first unanswered question, A1.3.
    term = Terminal([*args, "--resume", partial], tmp_path)
    terminal.append(term)
    typed: dict[str, object] = {"A1.1": 2, "A1.2": 3, "A1.4": None}
    term.expect("A1.3 — 3/30")
    term.answer("1")
    typed["A1.3"] = 1
    remaining = [qid for qid in _question_ids() if qid not in typed]
    for n, qid in enumerate(remaining):
        term.expect(f"{qid} — ")
        entry = "?" if n % 7 == 3 else str(n % 4)
        term.answer(entry)
        typed[qid] = None if entry == "?" else int(entry)
    term.expect("Enregistrer dans sample.json ? [o/N] ")
    summary = term.text[: term.text.rindex("Enregistrer")]
    assert f"Association : {ASSOCIATION_NAME} ({ASSOCIATION})" in summary
    term.send("o")
    code, rest = term.finish()
    assert code == 0
    assert rest.splitlines()[-3].startswith(
        "Enregistré dans sample.json : diagnostic pmae-ra:diag-1, ")
    assert rest.splitlines()[-2].startswith("Besoins créés : pmae-ra:diag-1-besoin-1")
    bundle = load_bundle(sample)
    assert len(bundle.diagnoses) == 11
    diagnosis = bundle.diagnoses[-1]
    assert (diagnosis.id, diagnosis.association, diagnosis.date) == (
        "pmae-ra:diag-1", ASSOCIATION, dt.date(2025, 6, 3))
    assert diagnosis.answers == typed
    assert list(diagnosis.answers) == _question_ids()


def test_declining_keeps_the_answers(sample: Path, tmp_path: Path,
                                     terminal: list[Terminal]) -> None:
    partial = tmp_path / "partial.json"
    partial.write_text(json.dumps({qid: 2 for qid in _question_ids()}), encoding="utf-8")
    original = sample.read_bytes()
    term = Terminal(["diagnostic-partage", "--bundle", "sample.json", "--association",
                     ASSOCIATION, "--resume", "partial.json"], tmp_path)
    terminal.append(term)
    term.expect("Enregistrer dans sample.json ? [o/N] ")
    term.send("")
    code, rest = term.finish()
    assert code == 0
    assert rest.splitlines()[-2:] == [
        "Rien n'a été enregistré dans sample.json. Réponses enregistrées dans partial.json.",
        "Pour l'enregistrer plus tard : pmae diagnose diagnostic-partage --bundle sample.json "
        "--association pmae-ra:asso-001 --answers partial.json",
    ]
    assert sample.read_bytes() == original


def _question_ids() -> list[str]:
    tool = _diagnostic_partage()
    return [q["id"] for d in tool.questionnaire["dimensions"] for q in d["questions"]]


def _question_text(qid: str) -> str:
    tool = _diagnostic_partage()
    return next(str(q["text"]["fr"]) for d in tool.questionnaire["dimensions"]
                for q in d["questions"] if q["id"] == qid)


def test_a_bundle_changed_meanwhile_loses_nothing(sample: Path, tmp_path: Path,
                                                  terminal: list[Terminal]) -> None:
    partial = tmp_path / "partial.json"
    partial.write_text(json.dumps({qid: 1 for qid in _question_ids()}), encoding="utf-8")
    term = Terminal(["diagnostic-partage", "--bundle", "sample.json", "--association",
                     ASSOCIATION, "--resume", "partial.json"], tmp_path)
    terminal.append(term)
    term.expect("Enregistrer dans sample.json ? [o/N] ")
    # Someone else records a diagnosis while the advisor reads the summary.
    other = record_diagnosis(load_bundle(sample), run_tool(_diagnostic_partage(), {"A1.1": 3}),
                             association_id="pmae-ra:asso-002", date=dt.date(2025, 6, 1))
    write_bundle(other, sample)
    term.send("o")
    code, rest = term.finish()
    assert code == 0
    assert rest.splitlines()[-3].startswith(
        "Enregistré dans sample.json : diagnostic pmae-ra:diag-2, ")
    bundle = load_bundle(sample)
    assert [(d.id, d.association) for d in bundle.diagnoses[-2:]] == [
        ("pmae-ra:diag-1", "pmae-ra:asso-002"), ("pmae-ra:diag-2", ASSOCIATION)]
