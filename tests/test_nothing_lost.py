"""Nothing is lost (issue 14, point 1): an import into a bundle updates it by id, an export
records its audience, and no command overwrites a file unasked or writes over its input."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import attrs
import pytest
from click.testing import CliRunner

from pmae import load_bundle
from pmae.cli import cli
from pmae.io.audience import filter_bundle, narrowest
from pmae.io.bundles import write_bundle
from pmae.io.upsert import upsert
from pmae.sample import load_sample
from pmae.sessions import make_session

KEEP = "keep me\n"


def invoke(*args: str, as_of: str | None = None) -> tuple[int, str, str]:
    """``pmae ARGS`` with pmae's built-ins and the reference date ``as_of`` (default today):
    (exit code, standard output, standard error)."""
    result = CliRunner().invoke(cli, list(args), obj=make_session(load=[], as_of=as_of))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    return result.exit_code, result.stdout, result.stderr


def sample_in(folder: Path) -> Path:
    """The sample bundle written to ``folder/sample.json``."""
    path = folder / "sample.json"
    write_bundle(load_sample(), path)
    return path


@pytest.fixture()
def sample(tmp_path: Path) -> Path:
    return sample_in(tmp_path)


# --- every command that writes a file -------------------------------------------------------


def _store(tmp_path: Path, sample: Path) -> str:
    db = tmp_path / "s.db"
    assert invoke("publish", str(sample), "--db", str(db))[0] == 0
    return str(db)


#: (name, command line, whether the output is a folder); ``S`` is the sample, ``OUT`` the
#: output, ``DB`` a store holding the sample.
WRITERS: list[Any] = [
    ("sample", ["sample", "-o", "OUT"], False),
    ("generate", ["generate", "--associations", "3", "-o", "OUT"], False),
    ("diagnose --blank", ["diagnose", "diagnostic-partage", "--blank", "-o", "OUT"], False),
    ("export", ["export", "S", "--to", "json", "-o", "OUT"], False),
    ("export folder", ["export", "S", "--to", "csv", "-o", "OUT"], True),
    ("merge", ["merge", "S", "-o", "OUT"], False),
    ("dump", ["dump", "--db", "DB", "-o", "OUT"], False),
    ("db metadata", ["db", "metadata", "--db", "DB", "-o", "OUT"], False),
    ("report", ["report", "S", "--date", "2025-12-01", "-o", "OUT"], True),
    ("sheet", ["sheet", "S", "--theme", "gepp", "--format", "md", "-o", "OUT"], True),
    ("coverage", ["coverage", "S", "-o", "OUT"], False),
    ("needs", ["needs", "S", "-o", "OUT"], False),
    ("attendance", ["attendance", "S", "-o", "OUT"], False),
    ("invitations", ["programme", "invitations", "S", "--meeting", "pmae-ra:cofil-2025-1",
                     "-o", "OUT"], False),
    ("orient --record -o", ["orient", "S", "--need", "pmae-ra:besoin-0003", "--record", "--by",
                            "pmae-ra:lma-ra", "--date", "2025-12-01", "-o", "OUT"], False),
    ("orient --sheet", ["orient", "S", "--association", "pmae-ra:asso-003", "--date",
                        "2025-12-01", "--sheet", "OUT.html"], False),
    ("diagnose -o", ["diagnose", "diagnostic-partage", "--answers", "ANSWERS", "--bundle", "S",
                     "--association", "pmae-ra:asso-001", "-o", "OUT"], False),
]


@pytest.mark.parametrize(("name", "line", "folder"), WRITERS, ids=[w[0] for w in WRITERS])
def test_no_command_overwrites_a_file_without_force(
        name: str, line: list[str], folder: bool, sample: Path, tmp_path: Path) -> None:
    out = tmp_path / ("out.html" if "OUT.html" in line else "out")
    if folder:
        out.mkdir()
        (out / "notes.txt").write_text(KEEP, encoding="utf-8")
    else:
        out.write_text(KEEP, encoding="utf-8")
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({"A1.1": 1}), encoding="utf-8")
    db = _store(tmp_path, sample) if "DB" in line else ""
    args = [{"S": str(sample), "OUT": str(out), "OUT.html": str(out), "DB": db,
             "ANSWERS": str(answers)}.get(word, word) for word in line]
    code, out_text, err = invoke(*args)
    assert code == 2, (name, out_text, err)
    assert "pass --force to replace it" in err
    kept = out / "notes.txt" if folder else out
    assert kept.read_text(encoding="utf-8") == KEEP
    code, out_text, err = invoke(*args, "--force")
    assert code == 0, (name, out_text, err)
    assert not kept.exists() or kept.read_text(encoding="utf-8") != KEEP


@pytest.mark.pmae_plugins("pmae-ical")
def test_the_calendar_is_not_overwritten_without_force(sample: Path, tmp_path: Path) -> None:
    out = tmp_path / "rencontres.ics"
    out.write_text(KEEP, encoding="utf-8")
    result = CliRunner().invoke(cli, ["programme", "calendar", str(sample), "-o", str(out)])
    assert result.exit_code == 2 and "pass --force" in result.stderr
    assert out.read_text(encoding="utf-8") == KEEP


def test_import_never_writes_over_what_it_reads(sample: Path, tmp_path: Path) -> None:
    tables = tmp_path / "tableaux"
    assert invoke("export", str(sample), "--to", "csv", "--audience", "all",
                   "-o", str(tables))[0] == 0
    before = (tables / "bundle.csv").read_bytes()
    for force in ((), ("--force",)):
        code, _, err = invoke("import", "csv", str(tables), "-o", str(tables / "bundle.csv"),
                               *force)
        assert code == 2 and "is also an input" in err
        assert (tables / "bundle.csv").read_bytes() == before
    assert invoke("merge", str(sample), "-o", str(sample), "--force")[0] == 2


def test_the_demo_owns_its_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    # The README's quick start, twice in a row: the demo replaces its own previous report.
    assert invoke("demo")[0] == 0
    code, out, err = invoke("demo", "--lang", "fr")
    assert code == 0, err
    assert "Rapport écrit dans pmae-demo/" in out
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text(KEEP, encoding="utf-8")
    code, _, err = invoke("demo", "-o", str(mine))
    assert code == 2 and "pass --force" in err
    assert (mine / "notes.txt").read_text(encoding="utf-8") == KEEP


# --- an export records its audience ---------------------------------------------------------


def test_an_export_records_its_audience(sample: Path, tmp_path: Path) -> None:
    assert invoke("export", str(sample), "--to", "json", "-o", str(tmp_path / "p.json"))[0] == 0
    public = json.loads((tmp_path / "p.json").read_text(encoding="utf-8"))
    assert (public["audience"], public["format_version"]) == ("public", "1.1.0")
    assert invoke("export", str(sample), "--to", "csv", "--audience", "network",
                   "-o", str(tmp_path / "t"))[0] == 0
    row = next(csv.DictReader(io.StringIO(
        (tmp_path / "t" / "bundle.csv").read_text(encoding="utf-8-sig"))))
    assert row["audience"] == "network"
    # All hides nothing: the bundle stays as it was, without an audience.
    assert filter_bundle(load_sample(), "all") == load_sample()
    # Filtered twice, a bundle is for the narrower audience.
    assert filter_bundle(filter_bundle(load_sample(), "public"), "network").audience == "public"
    assert narrowest("recipient:a", "recipient:b") == "network"
    assert narrowest(None, "recipient:a") == "recipient:a"


# --- importing into a bundle ----------------------------------------------------------------


def _rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def test_a_public_export_imported_over_the_full_bundle_loses_nothing(
        sample: Path, tmp_path: Path) -> None:
    tables = tmp_path / "tableaux"
    assert invoke("export", str(sample), "--to", "csv", "-o", str(tables))[0] == 0
    before = sample.read_bytes()
    # The README's export line then the import over the full bundle: nothing changes.
    code, out, _ = invoke("import", "csv", str(tables), "-o", str(sample))
    assert code == 0
    assert sample.read_bytes() == before
    assert out.splitlines()[-1].startswith(
        "kept, not visible to the import's audience public: offers: 5, associations: 200, "
        "diagnoses: 10, needs: 491, referrals: 25")
    # Edited as a spreadsheet: one title changed, one offer deleted, one added.
    offers = _rows(tables / "offers.csv")
    title, ident = offers[0].index("title"), offers[0].index("id")
    changed, deleted = offers[1][ident], offers[2][ident]
    offers[1][title] = "Titre modifié"
    added = list(offers[3])
    added[ident] = "pmae-ra:offre-nouvelle"
    offers = [offers[0], offers[1], *offers[3:], added]
    with (tables / "offers.csv").open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(offers)
    code, out, err = invoke("import", "csv", str(tables), "--into", str(sample))
    assert code == 0, err
    assert f"updated {sample} by id from {tables} [offers: 1 added, 1 changed]" in out
    assert "kept, absent from the import: offers: 1 (--replace removes them)" in out
    full, updated = load_sample(), load_bundle(sample)
    assert {o.id: o.title for o in updated.offers}[changed] == "Titre modifié"
    assert deleted in {o.id for o in updated.offers}
    # What the public export left out is all there: contacts of actors, associations, needs…
    assert updated.actors == full.actors
    assert (updated.associations, updated.needs, updated.diagnoses, updated.referrals) == (
        full.associations, full.needs, full.diagnoses, full.referrals)
    # --replace removes the offer the import could hold and does not; nothing else.
    out_file = tmp_path / "replaced.json"
    code, out, err = invoke("import", "csv", str(tables), "--into", str(sample), "-o",
                             str(out_file), "--replace")
    assert code == 0, err
    assert f"updated {out_file} by id from {tables} [offers: 1 removed]" in out
    assert "removed (--replace), absent from the import: offers: 1" in out
    replaced = load_bundle(out_file)
    assert deleted not in {o.id for o in replaced.offers}
    assert len(replaced.offers) == len(updated.offers) - 1
    assert replaced.associations == full.associations
    # --force replaces the -o file with the import itself, as asked.
    code, _, _ = invoke("import", "csv", str(tables), "-o", str(out_file), "--force")
    assert code == 0 and load_bundle(out_file).associations == ()


def test_upsert_keeps_the_fields_the_audience_did_not_see() -> None:
    full = load_sample()
    public = filter_bundle(full, "public")
    actor = next(a for a in full.actors if a.email and a.visibility == "public")
    shown = next(a for a in public.actors if a.id == actor.id)
    assert shown.email is None and actor.email is not None
    renamed = public.with_collections({"actors": [
        attrs.evolve(a, name="Nouveau nom") if a.id == actor.id else a for a in public.actors]})
    done = upsert(full, renamed)
    result = next(a for a in done.bundle.actors if a.id == actor.id)
    assert (result.name, result.email, result.contacts) == ("Nouveau nom", actor.email,
                                                           actor.contacts)
    assert done.audience == "public" and not done.absent
    # Without an audience, the import is the whole truth of what it holds.
    whole = attrs.evolve(renamed, audience=None)
    assert next(a for a in upsert(full, whole).bundle.actors if a.id == actor.id).email is None


def test_import_usage(sample: Path, tmp_path: Path) -> None:
    code, _, err = invoke("import", "json", str(sample))
    assert code == 2 and "give -o FILE" in err
    code, _, err = invoke("import", "json", str(sample), "-o", str(tmp_path / "n.json"),
                           "--replace")
    assert code == 2 and "--replace is for updating" in err
