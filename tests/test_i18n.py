"""French and English: the catalogues are complete and compiled, no message escapes them, and
the language is the one ``--lang`` or the locale asks for (French unless it is English)."""

from __future__ import annotations

import ast
import datetime as dt
import gettext
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from pmae import i18n
from pmae.cli import LazyGroup, cli

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import messages  # noqa: E402  (tools/messages.py: the translator's workflow, with Babel)

CLI = ROOT / "src" / "pmae" / "cli"

#: The calls whose string arguments people read: a literal there must be wrapped in ``_()``.
MESSAGE_CALLS = ("echo", "secho", "ClickException", "UsageError", "BadParameter", "FileError")

#: Modules of the command line whose messages are not wrapped yet, each with why. It only
#: shrinks: a module listed here that has no unwrapped message fails the test, so an entry
#: cannot outlive its wrapping. Their help texts and docstrings are catalogued all the same
#: (tools/messages.py extracts every ``help=`` literal and command docstring).
NOT_YET_WRAPPED: dict[str, str] = {
}


def _has_words(text: str) -> bool:
    return any(character.isalpha() for character in text)


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def _literal_text(node: ast.expr) -> str:
    """The text written literally in ``node`` (a string, the fixed parts of an f-string, the
    literal operands of a ``+``), not what a call such as ``_()`` returns."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(part.value for part in node.values if isinstance(part, ast.Constant))
    if isinstance(node, ast.BinOp):
        return _literal_text(node.left) + _literal_text(node.right)
    return ""


def _unwrapped(path: Path) -> Iterator[str]:
    """``file:line: text`` for each literal with words that reaches a person unwrapped."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        values: list[ast.expr] = []
        if _name(node.func) in MESSAGE_CALLS:
            values = [*node.args, *(k.value for k in node.keywords if k.arg == "message")]
        # A help text must be a literal (catalogued as it is) or marked: an f-string or a
        # concatenation cannot be looked up.
        values += [k.value for k in node.keywords if k.arg in messages.HELP_KEYWORDS
                   and not isinstance(k.value, ast.Constant | ast.Call | ast.Name)]
        for value in values:
            literal = _literal_text(value)
            if _has_words(literal):
                yield f"{path.relative_to(ROOT)}:{value.lineno}: {literal[:60]!r}"


def test_no_message_of_the_command_line_escapes_the_catalogue() -> None:
    found = {path.name: list(_unwrapped(path)) for path in sorted(CLI.glob("*.py"))}
    escaped = [line for name, lines in found.items() if name not in NOT_YET_WRAPPED
               for line in lines]
    assert escaped == [], "wrap these in _() (from pmae.i18n import gettext as _):\n" + \
        "\n".join(escaped)
    stale = [name for name in NOT_YET_WRAPPED if not found.get(name)]
    assert stale == [], f"wrapped now: remove {stale} from NOT_YET_WRAPPED"


#: The errors the command line prints as they are (``Erreur : <message>``, exit 1 or 2): their
#: messages go through the catalogue wherever they are raised, in the library too.
CLI_ERRORS = ("UnknownAssociationError", "OrientationError", "UnknownAudienceError",
              "NewerFormatError", "InvalidUpdateError",
              "OptionError", "PdfError", "NoCalendarExporterError", "TerritoryError",
              "ExportError", "AmbiguousNameError", "InvalidItemError", "StoreError",
              "StoreNotFoundError", "CorruptStoreError", "NewerStoreError",
              "OutdatedStoreError", "StoreLockedError", "DatasetteMissingError", "LicenceError",
              "ListingError")

#: ``module:error`` whose messages are not wrapped yet, each with why (docs/languages.md lists
#: them too). It only shrinks, as NOT_YET_WRAPPED.
ERRORS_NOT_YET_WRAPPED: dict[str, str] = {
    "plugins/items.py:InvalidItemError": "a plugin's items refused at registration: read by "
                                         "its author, in English like the plugins' own texts",
    "plugins/manager.py:InvalidItemError": "the same",
    "plugins/registry.py:InvalidItemError": "the same",
}


#: Modules whose plain errors a command prints as they are, by the errors it catches.
CLI_ERROR_MODULES: dict[str, tuple[str, ...]] = {
    "analysis/shared_diagnosis/dimensions.py": ("ValueError",),  # pmae needs --by
    "analysis/invitations.py": ("KeyError",),  # pmae programme invitations --meeting
    "render/sheets/build.py": ("ValueError",),  # pmae sheet --record
    "analysis/diagnosing.py": ("ValueError",),  # pmae diagnose --record
    "analysis/orientation.py": ("ValueError",),  # pmae orient --record
}


def _unwrapped_errors(path: Path, root: Path) -> Iterator[tuple[str, str]]:
    """``(module:error, file:line: text)`` for each literal with words given unwrapped to an
    error of :data:`CLI_ERRORS` (or of :data:`CLI_ERROR_MODULES` in its module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    errors = CLI_ERRORS + CLI_ERROR_MODULES.get(
        path.relative_to(root).as_posix() if path.is_relative_to(root) else "", ())
    # An error class whose __init__ makes its own message: its super().__init__ call counts.
    made = [(call, cls.name) for cls in ast.walk(tree)
            if isinstance(cls, ast.ClassDef) and cls.name in errors
            for call in ast.walk(cls)
            if isinstance(call, ast.Call) and _name(call.func) == "__init__"]
    calls = [(node, _name(node.func)) for node in ast.walk(tree)
             if isinstance(node, ast.Call) and _name(node.func) in errors]
    for node, name in [*calls, *made]:
        for value in [*node.args, *(k.value for k in node.keywords if k.arg == "message")]:
            literal = _literal_text(value)
            if _has_words(literal):
                yield (f"{path.relative_to(root).as_posix()}:{name}",
                       f"{path.relative_to(ROOT)}:{value.lineno}: {literal[:60]!r}")


def test_no_error_the_command_line_prints_escapes_the_catalogue() -> None:
    """``pmae diagnose … --association x`` said ``Erreur : no association 'x' …``: the errors
    the command line prints speak the run's language, wherever pmae raises them."""
    source = ROOT / "src" / "pmae"
    found: dict[str, list[str]] = {}
    for path in sorted(source.rglob("*.py")):
        for where, line in _unwrapped_errors(path, source):
            found.setdefault(where, []).append(line)
    escaped = [line for where, lines in found.items() if where not in ERRORS_NOT_YET_WRAPPED
               for line in lines]
    assert escaped == [], "wrap these in _() (from pmae.i18n import gettext as _):\n" + \
        "\n".join(escaped)
    stale = [where for where in ERRORS_NOT_YET_WRAPPED if where not in found]
    assert stale == [], f"wrapped now: remove {stale} from ERRORS_NOT_YET_WRAPPED"


def test_the_error_check_sees_an_unwrapped_message() -> None:
    probe = ROOT / "tests" / "_i18n_error_probe.py"
    probe.write_text('raise OrientationError(f"no need {x!r}")\n'
                     'wrong = OptionError("bad " + x)\n'
                     'raise TerritoryError(_("fine {a}").format(a=1), code="x")\n'
                     'raise ValueError("not printed by the command line")\n'
                     'class PdfError(Exception):\n'
                     '    def __init__(self, x):\n'
                     '        super().__init__(f"{x} cannot print")\n')
    try:
        assert [line.split(": ", 1)[1] for _, line in _unwrapped_errors(probe, ROOT)] == [
            "'no need '", "'bad '", "' cannot print'"]
    finally:
        probe.unlink()


#: The modules whose issues a person reads (reading a bundle, CSV and XLSX tables, answers to
#: a questionnaire, programme rules): their messages and hints go through the catalogue too.
#: Plugins' own issues stay the plugins' (docs/languages.md).
ISSUE_SOURCES: tuple[str, ...] = (
    "io/files.py", "io/schema_issues.py", "io/checks.py", "io/csv_reader.py",
    "default_plugins/csv_tables/*.py",
    "default_plugins/xlsx_tables/read.py", "default_plugins/xlsx_tables/cells.py",
    "diagnostics/answers.py", "diagnostics/engine.py", "diagnostics/questionnaire_rules.py",
    "analysis/programme.py", "analysis/programme_rules.py")

#: The calls that make an issue: their text (every argument but the code, ``message=``,
#: ``hint=``) must not be a literal left in English.
ISSUE_CALLS = ("Issue", "Note", "issue", "_issue", "_ZipBomb", "add")
ISSUE_KEYWORDS = ("message", "hint", "encoding_hint", "envelope_hint")


def _unwrapped_issue_texts(path: Path) -> Iterator[str]:
    """``file:line: text`` for each literal with words that reaches an issue unwrapped."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _name(node.func) in ISSUE_CALLS:
            values = [*node.args[1:], *(k.value for k in node.keywords
                                        if k.arg in ISSUE_KEYWORDS)]
        elif isinstance(node, ast.Call) and any(k.arg in ISSUE_KEYWORDS[2:]
                                                for k in node.keywords):
            values = [k.value for k in node.keywords if k.arg in ISSUE_KEYWORDS[2:]]
        elif isinstance(node, ast.Assign) and any(
                isinstance(target, ast.Name) and target.id in ISSUE_KEYWORDS
                for target in node.targets):
            # ``message = f"…"`` before the Issue(message=message) that reads it.
            values = [node.value.body, node.value.orelse] if isinstance(
                node.value, ast.IfExp) else [node.value]
        else:
            continue
        for value in values:
            literal = _literal_text(value)
            if _has_words(literal):
                yield f"{path.relative_to(ROOT)}:{value.lineno}: {literal[:60]!r}"


def test_no_issue_of_tables_answers_or_rules_escapes_the_catalogue() -> None:
    source = ROOT / "src" / "pmae"
    paths = sorted({path for pattern in ISSUE_SOURCES for path in source.glob(pattern)})
    assert len(paths) > len(ISSUE_SOURCES)
    escaped = [line for path in paths for line in _unwrapped_issue_texts(path)]
    assert escaped == [], "wrap these in _() (from pmae.i18n import gettext as _):\n" + \
        "\n".join(escaped)


def test_the_issue_check_sees_an_unwrapped_message() -> None:
    probe = ROOT / "tests" / "_i18n_issue_probe.py"
    probe.write_text('Issue(code="x", message=f"{a} is wrong", hint=_("ok"))\n'
                     'reader.issue("bad", "no way", hint="do " + x)\n'
                     'Note(code="y", message=_("fine {a}").format(a=1))\n'
                     'hint = f"did you mean {x}?" if x else _("fine")\n')
    try:
        assert [line.split(": ", 1)[1] for line in _unwrapped_issue_texts(probe)] == [
            "'did you mean ?'", "' is wrong'", "'no way'", "'do '"]
    finally:
        probe.unlink()


def test_the_check_sees_an_unwrapped_message(tmp_path: Path) -> None:
    source = tmp_path / "bad.py"
    source.write_text('import click\nclick.echo(f"wrote {x}")\nclick.echo(_("ok {x}"))\n'
                      'raise click.UsageError("no way")\nclick.option("--a", help=f"{x} y")\n')
    source = source.rename(ROOT / "tests" / "_i18n_probe.py")
    try:
        assert [line.split(": ", 1)[1] for line in _unwrapped(source)] == [
            "'wrote '", "'no way'", "' y'"]
    finally:
        source.unlink()


@pytest.mark.parametrize("domain", messages.DOMAINS)
def test_every_message_has_its_french_translation(domain: str) -> None:
    """Extracted from the sources now (pmae's, and the installed click's): every msgid has a
    French msgstr that is not empty and not fuzzy. To mend: python tools/messages.py update,
    translate in the .po, python tools/messages.py compile."""
    assert messages.gaps("fr", domain) == []


@pytest.mark.parametrize("domain", messages.DOMAINS)
def test_the_compiled_catalogues_are_the_translations(domain: str) -> None:
    compiled = messages.LOCALE / "fr" / "LC_MESSAGES" / f"{domain}.mo"
    with compiled.open("rb") as file:
        shipped = gettext.GNUTranslations(file)
    expected = gettext.GNUTranslations(
        __import__("io").BytesIO(messages.compiled(messages.read("fr", domain))))
    assert shipped._catalog == expected._catalog, (  # type: ignore[attr-defined]
        "python tools/messages.py compile")


def test_the_placeholders_survive_translation() -> None:
    """A translation keeps its msgid's {placeholders}: .format() would fail at run time."""
    import re

    wrong = []
    for domain in messages.DOMAINS:
        for message in messages.read("fr", domain):
            if not message.id:
                continue
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (
                message.string,)
            wanted = set(re.findall(r"\{[^{}]*\}", ids[-1]))
            for string in strings:
                if set(re.findall(r"\{[^{}]*\}", string)) - wanted - set(
                        re.findall(r"\{[^{}]*\}", ids[0])):
                    wrong.append((ids[0], string))
    assert wrong == []


# --- which language -------------------------------------------------------------------------


@pytest.mark.parametrize(("environ", "expected"), [
    ({}, "fr"),
    ({"LANG": "C.UTF-8"}, "fr"),
    ({"LANG": "fr_FR.UTF-8"}, "fr"),
    ({"LANG": "en_GB.UTF-8"}, "en"),
    ({"LANG": "de_DE.UTF-8"}, "fr"),
    ({"LC_ALL": "en_US.UTF-8", "LANG": "fr_FR.UTF-8"}, "en"),
    ({"LC_MESSAGES": "fr_CA", "LANG": "en_US"}, "fr"),
    ({"LANGUAGE": "de:en", "LANG": "fr_FR.UTF-8"}, "en"),
    ({"LANGUAGE": "", "LANG": "en_US"}, "en"),
])
def test_the_locale_chooses_as_gettext_reads_it(environ: dict[str, str],
                                                 expected: str) -> None:
    assert i18n.language_from_environment(environ) == expected


def _pmae(*args: str, **environ: str) -> CliRunner:
    env = {"LANGUAGE": None, "LC_ALL": None, "LC_MESSAGES": None, "LANG": "C.UTF-8",
           **environ}
    return CliRunner(env=env).invoke(cli, list(args), prog_name="pmae")  # type: ignore[return-value]


def test_help_is_french_by_default_and_english_when_asked() -> None:
    french = _pmae("--help").output  # type: ignore[attr-defined]
    assert french.startswith("Utilisation : pmae [OPTIONS] COMMAND [ARGS]...")
    assert "accompagner ensemble les petites associations employeuses" in french
    assert "Commandes:" in french and "Afficher ce message et quitter." in french
    assert "Valider les lots FILES (JSON ou JSON Lines)" in french
    for english in (_pmae("--help", LANG="en_US.UTF-8").output,  # type: ignore[attr-defined]
                    _pmae("--lang", "en", "--help",  # type: ignore[attr-defined]
                          LANG="fr_FR.UTF-8").output):
        assert english.startswith("Usage: pmae [OPTIONS] COMMAND [ARGS]...")
        assert "Show this message and exit." in english and "Utilisation" not in english


def test_a_command_help_and_its_options_speak_the_language() -> None:
    french = _pmae("merge", "--help", LANG="fr_FR.UTF-8").output  # type: ignore[attr-defined]
    assert "Fusionner les lots FILES en un seul" in french
    assert "Le lot fusionné (.json ou .jsonl).  [obligatoire]" in french
    assert "[par défaut : fusion]" in french
    # `pmae --lang en` for the commands that have no --lang of their own.
    english = _pmae("--lang", "en", "merge", "--help").output  # type: ignore[attr-defined]
    assert "Merge bundle FILES into one" in english and "[required]" in english


def test_click_errors_speak_the_language(tmp_path: Path) -> None:
    result = _pmae("validate", "--nope")
    assert result.exit_code == 2  # type: ignore[attr-defined]
    assert result.stderr.endswith(  # type: ignore[attr-defined]
        "Erreur : Option inconnue : '--nope'.\n")
    assert "Essayez « pmae validate --help » pour l’aide." in result.stderr  # type: ignore
    missing = _pmae("validate", str(tmp_path / "nowhere.json"))
    assert "n’existe pas" in missing.stderr  # type: ignore[attr-defined]
    assert "No such option" in _pmae("--lang", "en", "validate", "--nope").stderr  # type: ignore


def test_pmae_errors_speak_the_language(tmp_path: Path) -> None:
    bundle = tmp_path / "b.json"
    bundle.write_text("{}")
    result = _pmae("merge", str(bundle), "-o", str(tmp_path / "missing" / "m.json"))
    assert "impossible d’écrire" in result.stderr and "n’existe pas" in result.stderr  # type: ignore
    english = _pmae("merge", str(bundle), "-o", str(tmp_path / "missing" / "m.json"),
                    LANGUAGE="en")
    assert "cannot write" in english.stderr  # type: ignore[attr-defined]


def test_aborted_is_french() -> None:
    @click.command()
    def stop() -> None:
        raise click.Abort

    group = LazyGroup(name="pmae", lazy={}, commands={"stop": stop})
    result = CliRunner(env={"LANGUAGE": None, "LANG": "fr_FR.UTF-8"}).invoke(group, ["stop"])
    assert result.exit_code == 1 and result.stderr == "Abandon !\n"
    english = CliRunner(env={"LANGUAGE": "en"}).invoke(group, ["stop"])
    assert english.stderr == "Aborted!\n"


def test_the_command_lang_option_follows_the_locale_by_default() -> None:
    """``--lang`` of a command defaults to the run's language: no more English messages
    around a French table, or the other way round."""
    english = _pmae("vocab", "stages", LANG="en_US.UTF-8").output  # type: ignore[attr-defined]
    french = _pmae("vocab", "stages").output  # type: ignore[attr-defined]
    assert english != french


def test_the_console_script_speaks_french_under_a_french_locale() -> None:
    import os

    env = {**os.environ, "LANG": "fr_FR.UTF-8"}
    env.pop("LANGUAGE", None)
    done = subprocess.run([sys.executable, "-m", "pmae.cli", "schema", "nope"],
                          capture_output=True, text=True, env=env)
    assert done.returncode == 2 and "Erreur :" in done.stderr


def test_set_language_refuses_an_unknown_one() -> None:
    with pytest.raises(ValueError, match="pmae speaks en, fr"):
        i18n.set_language("de")


@pytest.mark.parametrize(("day", "lang", "expected"), [
    (dt.date(2026, 12, 4), "fr", "4 décembre 2026"),
    (dt.date(2026, 8, 1), "fr", "1er août 2026"),
    (dt.date(2026, 12, 4), "en", "4 December 2026"),
])
def test_dates_are_written_the_way_the_language_writes_them(day: dt.date, lang: str,
                                                           expected: str) -> None:
    assert i18n.format_date(day, lang) == expected


def test_validation_issues_speak_the_language_and_keep_their_codes(tmp_path: Path) -> None:
    """The issues of ``pmae validate`` (their messages and the catalogue's hints) are said in
    the run's language; the codes, which tools match on, never change."""
    import json

    from pmae.sample import sample_bytes

    data = json.loads(sample_bytes())
    data["offers"][0]["themes"] = ["paie"]
    data["offers"][1]["bogus"] = 1
    data["offers"][2]["valid_from"] = "2025-13-01"
    bundle = tmp_path / "bad.json"
    bundle.write_text(json.dumps(data), encoding="utf-8")
    french = _pmae("validate", str(bundle), LANG="fr_FR.UTF-8").output  # type: ignore
    assert "'paie' n’est pas un code du vocabulaire 'themes'" in french
    assert "'2025-13-01' n’est pas une date valide — écrivez une vraie date du calendrier" in french
    assert "'bogus' n’est pas un champ pour une offre" in french
    english = _pmae("--lang", "en", "validate", str(bundle)).output  # type: ignore
    assert "'paie' is not a code of the vocabulary 'themes'" in english
    assert "is not a valid date — write a real calendar date as YYYY-MM-DD" in english
    as_json = [json.loads(_pmae(*lang, "validate", str(bundle), "--format", "json")
                          .output)  # type: ignore[attr-defined]
               for lang in (("--lang", "fr"), ("--lang", "en"))]
    assert [i["code"] for i in as_json[0]] == [i["code"] for i in as_json[1]]
    assert sorted(i["code"] for i in as_json[0]) == [
        "invalid-date", "unknown-code", "unknown-field"]
    assert as_json[0][0]["message"] != as_json[1][0]["message"]
    # Reading the file speaks it too.
    empty = tmp_path / "empty.json"
    empty.write_text("", encoding="utf-8")
    assert "[invalid-json] le fichier est vide — un lot est un objet JSON" in _pmae(
        "--lang", "fr", "validate", str(empty)).output  # type: ignore[attr-defined]


def test_the_renderers_write_dates_the_language_s_way() -> None:
    """French text says ``1er décembre 2025``, English text ``1 December 2025``: no ISO or
    numeric date in running text."""
    from pmae.analysis.coverage import coverage
    from pmae.render.coverage import render_coverage
    from pmae.sample import load_sample
    from pmae.sessions import make_session

    bundle = load_sample()
    grid = coverage(bundle, session=make_session(load=[], as_of="2025-12-01"))
    assert render_coverage(grid, lang="fr").startswith(
        "Couverture de l'offre d'accompagnement au 1er décembre 2025 : ")
    assert render_coverage(grid, lang="en").startswith(
        "Coverage of the support offer on 1 December 2025: ")
