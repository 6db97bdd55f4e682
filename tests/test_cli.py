"""The command line end to end: exit codes, output formats, files written atomically."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from pmae.cli import cli

VALID = {
    "format_version": "1.0.0",
    "source": {"slug": "lma-ra", "name": "Le Mouvement associatif Rhône-Alpes"},
    "generated_at": "2025-03-01T09:00:00+01:00",
    "actors": [{"id": "lma-ra:cress", "name": "CRESS", "actor_type": "cress",
                "territories": ["reg:84"]}],
    "offers": [{"id": "lma-ra:o1", "actor": "lma-ra:cress", "title": "Premier accueil",
                "themes": ["recrutement"], "stages": ["accueil"]}],
}


def _write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def _invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    return result.exit_code, result.stdout, result.stderr


def test_validate_valid_file(tmp_path: Path) -> None:
    code, out, _ = _invoke("validate", str(_write(tmp_path / "b.json", VALID)))
    assert (code, out) == (0, "1 file(s) valid\n")


def test_validate_reports_issues_in_text_and_json(tmp_path: Path) -> None:
    bad = json.loads(json.dumps(VALID))
    bad["offers"][0]["themes"] = ["paie"]
    bad["actors"][0]["territories"] = ["84"]
    path = _write(tmp_path / "b.json", bad)
    code, out, err = _invoke("validate", str(path))
    assert code == 1
    assert out.splitlines() == [
        f"{path}:$.actors[0].territories[0]: error [ambiguous-territory] '84' does not say its "
        "level: is it a région, a département, a commune? — write it with its level: "
        "reg:84 or dep:84",
        f"{path}:$.offers[0].themes[0]: error [unknown-code] 'paie' is not a code of the "
        "vocabulary 'themes' — did you mean 'paie_declarations'? see `pmae vocab themes`",
    ]
    assert "2 error(s), 0 warning(s)" in err
    code, out, _ = _invoke("validate", "--format", "json", str(path))
    assert code == 1
    assert [(i["code"], i["path"], i["file"]) for i in json.loads(out)] == [
        ("ambiguous-territory", "$.actors[0].territories[0]", str(path)),
        ("unknown-code", "$.offers[0].themes[0]", str(path)),
    ]
    assert set(json.loads(out)[0]) >= {"code", "severity", "path", "message", "file"}


@pytest.mark.parametrize(
    ("content", "code"),
    [(b"", "invalid-json"), (b'{"a": ', "invalid-json"), (b"\xff\xfe", "invalid-encoding"),
     (b"[]", "wrong-type"), (b'{"x": NaN}', "invalid-json")],
)
def test_validate_bad_files_never_trace_back(tmp_path: Path, content: bytes, code: str) -> None:
    path = tmp_path / "b.json"
    path.write_bytes(content)
    exit_code, out, err = _invoke("validate", "--format", "json", str(path))
    assert exit_code == 1
    assert [i["code"] for i in json.loads(out)] == [code]
    assert "Traceback" not in out + err


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert _invoke("validate")[0] == 2
    assert _invoke("validate", "--format", "xml", "b.json")[0] == 2
    assert _invoke("schema", "nope")[0] == 2
    assert _invoke("vocab", "nope")[0] == 2
    path = _write(tmp_path / "b.json", VALID)
    code, _, err = _invoke("merge", str(path), "-o", str(tmp_path / "missing" / "m.json"))
    assert code == 2
    assert "does not exist" in err


def test_merge_writes_and_refuses_conflicts(tmp_path: Path) -> None:
    a = _write(tmp_path / "a.json", VALID)
    other = json.loads(json.dumps(VALID))
    other["source"] = {"slug": "rnma", "name": "RNMA"}
    for record in other["actors"] + other["offers"]:
        record["id"] = record["id"].replace("lma-ra:", "rnma:")
    other["offers"][0]["actor"] = "rnma:cress"
    b = _write(tmp_path / "b.json", other)
    out_path = tmp_path / "m.json"
    code, out, _ = _invoke("merge", str(a), str(b), "-o", str(out_path))
    assert (code, out) == (0, f"wrote {out_path}: 4 records from 2 bundles\n")
    merged = json.loads(out_path.read_text())
    assert [p["source"]["slug"] for p in merged["provenance"]] == ["lma-ra", "rnma"]

    conflicting = json.loads(json.dumps(VALID))
    conflicting["offers"][0]["title"] = "Un autre titre"
    c = _write(tmp_path / "c.json", conflicting)
    before = out_path.read_bytes()
    # --force: the file may be replaced, yet a conflict writes nothing.
    code, out, err = _invoke("merge", str(a), str(c), "-o", str(out_path), "--force")
    assert code == 1
    assert "[merge-conflict] 'lma-ra:o1' differs" in out
    assert "nothing was written" in err
    assert out_path.read_bytes() == before


def test_schema_and_vocab(tmp_path: Path) -> None:
    code, out, _ = _invoke("schema", "offer")
    assert code == 0
    assert json.loads(out)["$id"] == "https://schemas.pmae.fr/v1/offer.schema.json"
    code, out, _ = _invoke("schema")
    assert "bundle" in out and code == 0
    code, out, _ = _invoke("vocab", "stages", "--format", "json")
    assert [t["code"] for t in json.loads(out)["terms"]] == [
        "accueil", "information", "sensibilisation", "conseil", "formation", "appui", "suivi"]
    code, out, _ = _invoke("vocab", "themes", "--lang", "en")
    assert code == 0 and "[A]" in out


def test_console_script_runs() -> None:
    result = subprocess.run([sys.executable, "-m", "pmae.cli", "--version"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0
    assert result.stdout.startswith("pmae, version ")


def test_demo_validates_writes_the_report_and_summarises(tmp_path: Path) -> None:
    site = tmp_path / "demo"
    code, out, _ = _invoke("demo", "-o", str(site), "--lang", "fr")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("Échantillon embarqué (")
    assert lines[0].endswith(": validé, aucun problème")
    assert lines[1].startswith(f"Rapport écrit dans {site}/ (")
    assert lines[1].endswith(f"pages) : ouvrir {site}/index.html")
    assert (site / "index.html").is_file() and (site / "couverture.html").is_file()
    assert lines[2].startswith("Offre territoriale : ")
    assert lines[3].startswith("Diagnostic partagé (thème × département) : ")
    assert lines[4] == "Programme 2025 : 7 règles respectées sur 7 (pmae programme check)"
    assert lines[5] == f"Fiches Les ESSentiels : 21 thèmes, ouvrir {site}/fiches/index.html"
    assert (site / "fiches" / "formation_pro.html").is_file()
    db = site / "pmae.db"  # the report is the store's: the sample was published into it
    assert lines[7] == (f"Entrepôt : {db} (publication #1), par exemple pmae offers --db {db} "
                        "--theme gepp --territory dep:38")
    listed = _invoke("offers", "--db", str(db), "--theme", "gepp", "--territory", "dep:38")
    assert listed[0] == 0 and "pmae-ra:offre-011" in listed[1]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".pmae-demo")]
    assert "Synthèse — Démarche PMAE Rhône-Alpes (exemple)" in lines
    for heading in ("Acteurs par type", "Acteurs par département", "Offres par thème et par étape",
                    "Besoins par thème", "Réunions"):
        assert heading in lines
    assert sum(1 for line in lines if "Rencontre régionale · intervenant extérieur" in line) == 3
    code, out, _ = _invoke("demo", "--lang", "en", "-o", str(site))  # replaces its own report
    assert code == 0 and "Offers by theme and stage" in out
    assert 'lang="en"' in (site / "index.html").read_text(encoding="utf-8")
    assert (site / "pmae.db").is_file()  # a new store with the new report


def test_sample_command_writes_a_valid_bundle(tmp_path: Path) -> None:
    for name in ("s.json", "s.jsonl"):
        code, _, err = _invoke("sample", "-o", str(tmp_path / name))
        assert code == 0 and "wrote" in err
        assert _invoke("validate", str(tmp_path / name))[0] == 0
    from pmae.sample import sample_bytes

    code, out, _ = _invoke("sample")
    assert out.encode() == sample_bytes()


@pytest.mark.parametrize(
    "args",
    [["needs", "{b}", "-o", "{b}"], ["coverage", "{b}", "-o", "{b}"],
     ["attendance", "{b}", "-o", "{b}"],
     pytest.param(["programme", "calendar", "{b}", "-o", "{b}"],
                  marks=pytest.mark.pmae_plugins("pmae-ical")),  # the calendar needs an exporter
     ["report", "{b}", "-o", "{d}", "--force"], ["export", "{b}", "--to", "json", "-o", "{b}"]],
)
def test_no_command_writes_over_its_input(tmp_path: Path, args: list[str]) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    bundle = folder / "b.json"
    _invoke("sample", "-o", str(bundle))
    before = bundle.read_bytes()
    code, _, err = _invoke(*(a.format(b=bundle, d=folder) for a in args))
    assert code == 2
    assert "is also an input" in err
    assert bundle.read_bytes() == before


# --- the package: commands imported lazily, one session per run -----------------------------


def test_help_imports_no_command() -> None:
    """`pmae --help` lists every command from the root's table: no command module, no
    pmae module beyond the cli package's root and the languages of its messages, is
    imported."""
    code = ("import sys\nfrom pmae.cli import main\ntry:\n    main(['--help'])\n"
            "except SystemExit:\n    pass\n"
            "print(' '.join(sorted(m for m in sys.modules if m.startswith('pmae'))),"
            " file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stderr.split() == ["pmae", "pmae.cli", "pmae.cli.translate", "pmae.i18n"]
    listed = [line.split()[0] for line in done.stdout.split("Commands:\n")[1].splitlines()]
    assert listed == sorted([
        "attendance", "coverage", "demo", "diagnose", "export", "generate", "import", "merge",
        "needs", "orient", "plugins", "programme", "report", "sample", "schema", "sheet",
        "validate", "vocab", "db", "dump", "history", "publish", "offers", "actors",
        "associations", "needs-list", "serve", "plan"])


def test_import_pmae_model_loads_no_io() -> None:
    done = subprocess.run([sys.executable, "-c", "import sys, pmae.model; print(' '.join("
                           "m for m in sys.modules if m.startswith('pmae.io')))"],
                          capture_output=True, text=True, check=True)
    assert done.stdout.split() == []


def test_the_root_table_says_what_each_command_says() -> None:
    """The short help the root lists without importing equals the command's own."""
    import click

    from pmae.cli import COMMANDS

    for name, (_, _, summary) in COMMANDS.items():
        command = cli.get_command(click.Context(cli), name)
        assert command is not None and command.name == name
        for limit in (45, 200):
            assert click.Command(name, help=summary).get_short_help_str(limit) == \
                command.get_short_help_str(limit), name
        help_text = CliRunner().invoke(cli, [name, "--help"], prog_name="pmae")
        assert help_text.exit_code == 0 and f"Usage: pmae {name}" in help_text.output


def test_the_run_session_is_the_one_handed_in(tmp_path: Path) -> None:
    """Every command takes the session from click's context object: a caller's session
    (here pmae's built-ins only) is the one the commands use."""
    from pmae.plugins.manager import get_plugin_manager
    from pmae.sessions import make_session

    bare = make_session(load=[])
    listed = CliRunner().invoke(cli, ["plugins", "--json"], obj=bare)
    assert listed.exit_code == 0
    loaded = {info["name"] for info in json.loads(listed.stdout) if info["status"] == "loaded"}
    assert loaded == {"core", "json_bundle", "csv_tables", "xlsx_tables", "reference_diagnostics",
                      "sqlite_export"}
    # Without one, the run builds the default one (every installed plugin) once.
    default = CliRunner().invoke(cli, ["plugins", "--json"])
    assert {info["name"] for info in json.loads(default.stdout)
            if info["status"] == "loaded"} == {
        name for name, info in get_plugin_manager().infos.items() if info.status == "loaded"}


def test_commands_without_plugins_load_none() -> None:
    """schema needs no plugin: a broken one in strict mode cannot stop it, while a command
    that needs plugins fails with one line."""
    import os

    env = {k: v for k, v in os.environ.items() if k != "PMAE_LOAD_PLUGINS"}
    env.update(PMAE_STRICT_PLUGINS="1", PMAE_BROKEN_MODE="raise")
    schema = subprocess.run([sys.executable, "-m", "pmae.cli", "schema"], env=env,
                            capture_output=True, text=True)
    assert (schema.returncode, schema.stderr) == (0, "")
    vocab = subprocess.run([sys.executable, "-m", "pmae.cli", "vocab"], env=env,
                           capture_output=True, text=True)
    assert vocab.returncode == 1 and vocab.stdout == ""
    (line,) = vocab.stderr.splitlines()
    assert line.startswith("Error: ") and "pmae-broken" in line
    assert line.endswith("(PMAE_STRICT_PLUGINS is set)")
