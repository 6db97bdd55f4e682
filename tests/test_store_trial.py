"""A new user's trial of ``pmae publish`` into a new SQLite store, in French, from the command
line: where the store cannot be made, what is not a store, invalid bundles (nothing left
behind), and two first publications into one new path at the same moment."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

import pmae
from pmae import synth
from pmae.sessions import make_session
from pmae.store import connection as store_connection
from pmae.store import open_store, publish_into

CORE = make_session(load=[])
SOURCE = str(Path(pmae.__file__).resolve().parent.parent)


def _environment() -> dict[str, str]:
    found = os.environ.get("PYTHONPATH")
    return {**os.environ, "PMAE_LOAD_PLUGINS": "", "LANG": "fr_FR.UTF-8", "LANGUAGE": "",
            "LC_ALL": "", "PYTHONPATH": SOURCE + (os.pathsep + found if found else "")}


def _pmae(*arguments: str, cwd: Path, prefix: tuple[str, ...] = ()
          ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*prefix, sys.executable, "-m", "pmae.cli", *arguments], cwd=cwd,
                          env=_environment(), capture_output=True, text=True, timeout=120)


def _bundle(path: Path, *, source: str = "synth", seed: int = 1) -> Path:
    fmt = "jsonl" if path.suffix == ".jsonl" else "json"
    synth.write(path, fmt=fmt, associations=30, seed=seed, source=source)
    return path


def _clean(result: subprocess.CompletedProcess[str]) -> None:
    """A message, not a traceback, and no English left in it."""
    assert "Traceback" not in result.stderr
    for english in ("does not exist", "Permission denied", "unable to open"):
        assert english not in result.stderr


@pytest.mark.parametrize("suffix", [".jsonl", ".json"])
def test_a_store_in_a_missing_folder_is_refused_saying_what_to_do(
        tmp_path: Path, suffix: str) -> None:
    """Was: 'impossible d'écrire dans la base (its folder does not exist)' for a .jsonl, and
    'pas une base pmae utilisable (SQLite indique : unable to open database file) ; elle a
    été laissée telle quelle : restaurez-le depuis une sauvegarde' for a .json."""
    bundle = _bundle(tmp_path / f"a{suffix}")
    result = _pmae("publish", bundle.name, "--db", "nope/sub/x.db", cwd=tmp_path)
    assert result.returncode == 2
    _clean(result)
    assert "le dossier nope/sub n’existe pas" in result.stderr
    assert "mkdir -p nope/sub" in result.stderr
    assert "sauvegarde" not in result.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == [bundle.name]


@pytest.mark.skipif(sys.platform == "win32" or shutil.which("setpriv") is None,
                    reason="POSIX permissions; root's bypass dropped with setpriv")
@pytest.mark.parametrize("suffix", [".jsonl", ".json"])
def test_a_store_in_a_read_only_folder_is_refused_saying_what_to_do(
        tmp_path: Path, suffix: str) -> None:
    """Was: '(Permission denied)' in English for a .jsonl, 'restaurez-le depuis une
    sauvegarde' for a .json. Root writes anywhere: its bypass is dropped (setpriv)."""
    bundle = _bundle(tmp_path / f"a{suffix}")
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    prefix = (("setpriv", "--bounding-set", "-dac_override,-dac_read_search")
              if os.geteuid() == 0 else ())
    try:
        result = _pmae("publish", bundle.name, "--db", "ro/x.db", cwd=tmp_path, prefix=prefix)
    finally:
        folder.chmod(0o755)
    assert result.returncode == 2
    _clean(result)
    assert "le dossier ro n’est pas accessible en écriture (permission refusée)" in result.stderr
    assert "sauvegarde" not in result.stderr
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize("suffix", [".jsonl", ".json"])
def test_a_bundle_published_into_an_empty_file_makes_it_a_store(
        tmp_path: Path, suffix: str) -> None:
    """Was: 'un fichier vide, pas encore une base pmae ; publiez-y d'abord un lot', said to
    who was publishing a bundle into it (exit 2)."""
    bundle = _bundle(tmp_path / f"a{suffix}")
    (tmp_path / "vide.db").touch()
    result = _pmae("publish", bundle.name, "--db", "vide.db", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "publication n°1" in result.stdout
    with open_store(tmp_path / "vide.db", session=CORE) as store:
        assert len(store.log()) == 1


def test_a_text_file_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path / "a.jsonl")
    (tmp_path / "notes.txt").write_text("bonjour\n")
    result = _pmae("publish", bundle.name, "--db", "notes.txt", cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    # "elle (la base) a été laissée telle quelle : restaurez-la" (was: restaurez-le)
    assert "restaurez-la" in result.stderr
    assert (tmp_path / "notes.txt").read_text() == "bonjour\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["a.jsonl", "notes.txt"]


def test_a_folder_is_refused(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path / "a.jsonl")
    (tmp_path / "dossier").mkdir()
    result = _pmae("publish", bundle.name, "--db", "dossier", cwd=tmp_path)
    assert result.returncode == 2
    assert "dossier : est un dossier" in result.stderr
    assert list((tmp_path / "dossier").iterdir()) == []


def _broken(bundle: Path, how: str) -> Path:
    lines = bundle.read_text(encoding="utf-8").splitlines()
    if how == "schema":
        middle = len(lines) // 2
        record = json.loads(lines[middle])
        next(iter(record.values()))["visibility"] = "nope"
        lines[middle] = json.dumps(record, ensure_ascii=False)
    elif how == "reference":
        record = json.loads(lines[-1])
        record["needs"]["association"] = "synth:asso-99999"
        lines[-1] = json.dumps(record, ensure_ascii=False)
    else:
        lines[-1] = lines[-1][:60]
    broken = bundle.with_name(f"{how}.jsonl")
    broken.write_text("\n".join(lines) + ("\n" if how != "truncated" else ""), encoding="utf-8")
    bundle.unlink()
    return broken


@pytest.mark.parametrize("how", ["schema", "reference", "truncated"])
def test_an_invalid_bundle_into_a_new_store_leaves_nothing(tmp_path: Path, how: str) -> None:
    bundle = _broken(_bundle(tmp_path / "a.jsonl"), how)
    assert bundle.read_text(encoding="utf-8").splitlines()[-1].startswith('{"needs"')
    result = _pmae("publish", bundle.name, "--db", "neuve.db", cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "rien n’a été publié dans neuve.db" in result.stderr + result.stdout
    assert sorted(path.name for path in tmp_path.iterdir()) == [bundle.name]


@pytest.mark.parametrize("suffixes", [(".json", ".json"), (".jsonl", ".jsonl"),
                                      (".json", ".jsonl")])
def test_two_first_publications_into_one_new_path_both_land(
        tmp_path: Path, suffixes: tuple[str, str]) -> None:
    """Was, with two .json bundles (three tries out of three): the second refused with 'pas
    une base pmae utilisable (SQLite indique : table store_meta already exists) ;
    restaurez-le depuis une sauvegarde': both had seen no store and made its schema."""
    first = _bundle(tmp_path / f"a{suffixes[0]}")
    second = _bundle(tmp_path / f"b{suffixes[1]}", source="autre", seed=2)
    for _ in range(3):
        (tmp_path / "x.db").unlink(missing_ok=True)
        runs = [subprocess.Popen([sys.executable, "-m", "pmae.cli", "publish", bundle.name,
                                  "--db", "x.db"], cwd=tmp_path, env=_environment(),
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for bundle in (first, second)]
        outcomes = [(run.wait(timeout=120), run.communicate()[1]) for run in runs]
        assert [code for code, _ in outcomes] == [0, 0], outcomes
        with open_store(tmp_path / "x.db", session=CORE) as store:
            assert sorted(entry.number for entry in store.log()) == [1, 2]
            assert {source for entry in store.log() for bundle in entry.bundles
                    for source in bundle.sources} == {"synth", "autre"}


def test_a_store_made_by_another_pmae_after_the_look_is_opened_not_made_again(
        tmp_path: Path) -> None:
    """The race of the test above, made certain: a connection finds the file empty, another
    pmae makes the store there, then the first makes its schema: it must find the store
    made (was: 'table store_meta already exists', said as a store not usable)."""
    db = tmp_path / "x.db"
    late = sqlite3.connect(db, isolation_level=None)
    try:
        assert store_connection._meta(late) is None  # the look: nothing there yet
        store_connection.connect(db, create=True).close()  # another pmae makes the store
        found = store_connection._initialise(late)
        assert found is not None
        assert found["schema_version"] == str(store_connection.SCHEMA_VERSION)
    finally:
        late.close()
    bundle = _bundle(tmp_path / "a.json")
    assert publish_into(db, bundle, session=CORE).number == 1


def test_the_log_names_a_bundle_published_from_memory_in_french(tmp_path: Path) -> None:
    """``pmae demo`` publishes the sample as a value: the log said '(in memory)'."""
    from pmae.sample import load_sample

    publish_into(tmp_path / "pmae.db", load_sample(), session=CORE)
    result = _pmae("db", "log", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "(en mémoire)" in result.stdout


@pytest.mark.skipif(sys.platform == "win32" or shutil.which("setpriv") is None,
                    reason="POSIX permissions; root's bypass dropped with setpriv")
@pytest.mark.parametrize("read_only", ["file", "folder"])
def test_a_read_only_store_is_refused_saying_what_to_do(tmp_path: Path, read_only: str) -> None:
    """Was: 'impossible d'écrire dans la base (attempt to write a readonly database)': SQLite's
    English, and nothing to do (a read-only folder is not even named: WAL writes beside)."""
    publish_into(tmp_path / "s.db", _bundle(tmp_path / "a.jsonl"), session=CORE)
    second = _bundle(tmp_path / "b.jsonl", source="autre", seed=2)
    target = tmp_path / "s.db" if read_only == "file" else tmp_path
    mode = target.stat().st_mode & 0o777
    target.chmod(0o444 if read_only == "file" else 0o555)
    prefix = (("setpriv", "--bounding-set", "-dac_override,-dac_read_search")
              if os.geteuid() == 0 else ())
    try:
        result = _pmae("publish", second.name, "--db", "s.db", cwd=tmp_path, prefix=prefix)
    finally:
        target.chmod(mode)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "readonly" not in result.stderr
    assert "la base n’est pas accessible en écriture" in result.stderr
    assert "demandez l’accès" in result.stderr
    with open_store(tmp_path / "s.db", session=CORE) as store:
        assert len(store.log()) == 1


def test_the_history_says_the_kind_of_change_in_french(tmp_path: Path) -> None:
    """docs/store.md's quick start: `pmae history pmae-ra:offre-001` said 'added'."""
    from pmae.sample import load_sample

    publish_into(tmp_path / "pmae.db", load_sample(), session=CORE)
    result = _pmae("history", "pmae-ra:offre-001", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert " ajouté (offers)" in result.stdout
    assert "added" not in result.stdout


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT as a terminal's Ctrl-C is POSIX")
def test_ctrl_c_during_the_first_publication_of_a_json_bundle_leaves_nothing(
        tmp_path: Path) -> None:
    """Was: an empty store left at the path (schema, 0 publications): a JSON bundle was
    published into a new store made at the path itself, not beside it."""
    import signal

    interrupted = False
    # A machine fast enough to finish before the signal gets a larger bundle.
    for associations in (8000, 24000):
        bundle = tmp_path / f"national-{associations}.json"
        synth.write(bundle, fmt="json", associations=associations, seed=6)
        # As from a shell: a test runner (or a CI started in the background) may ignore
        # SIGINT, and an ignored signal stays ignored across exec.
        run = subprocess.Popen([sys.executable, "-m", "pmae.cli", "publish", bundle.name,
                                "--db", "x.db"], cwd=tmp_path, env=_environment(),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=_sigint_as_from_a_shell)
        deadline = time.monotonic() + 120
        # The store is made beside the path once the bundle is validated; its schema is
        # written first, then the records: the signal is sent as soon as the file has pages.
        while time.monotonic() < deadline and not _has_pages(tmp_path, ".x.db."):
            time.sleep(0.005)
        run.send_signal(signal.SIGINT)
        _, error = run.communicate(timeout=120)
        if run.returncode == 0:  # published before the signal: try a larger bundle
            (tmp_path / "x.db").unlink()
            bundle.unlink()
            continue
        assert run.returncode == 130, error
        assert "interrompu (Ctrl-C)" in error
        assert sorted(path.name for path in tmp_path.iterdir()) == [bundle.name]
        interrupted = True
        break
    assert interrupted, "every publication ended before its Ctrl-C"


def _has_pages(folder: Path, prefix: str) -> bool:
    """Whether a file of ``folder`` named ``prefix…`` holds anything yet (files come and go)."""
    for path in folder.iterdir():
        try:
            if path.name.startswith(prefix) and path.stat().st_size > 0:
                return True
        except FileNotFoundError:
            continue
    return False


def _sigint_as_from_a_shell() -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)
