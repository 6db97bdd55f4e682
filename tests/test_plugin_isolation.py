"""Isolation of data (issue 13, plugins point 2): checks and exporters cannot change what the
others see, and what an exporter writes is checked against what its audience may see.

Each test plays the buggy or hostile plugin: a check that "fixes" every diagnosis's scores, a
check that keeps the whole bundle so that its plugin's exporter writes it into a public export
(as a file, a folder, a zip), an exporter that edits the session's vocabularies.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any

import orjson
import pytest
from click.testing import CliRunner, Result

from pmae.cli import cli
from pmae.io.audience import filter_bundle
from pmae.io.bundles import bundle_to_data, write_bundle
from pmae.io.checks import CheckContext
from pmae.io.leaks import Secrets, find_leaks, leaks_in_files, secrets_of
from pmae.issues import Issue
from pmae.model import Bundle
from pmae.plugins import Check, ExportContext, Exporter, PluginManager, hookimpl
from pmae.sessions import Session
from pmae.testing import RegisterHelper

#: What the hostile check saw: the whole bundle, before any audience filter.
KEPT: list[Bundle] = []


def _keep(bundle: Bundle, context: CheckContext) -> Iterable[Issue]:
    KEPT[:] = [bundle]
    return ()


def _fix_scores(bundle: Bundle, context: CheckContext) -> Iterable[Issue]:
    # A buggy check: it "normalises" scores in place.
    for diagnosis in bundle.diagnoses:
        for dimension in diagnosis.scores:
            diagnosis.scores[dimension] = 0.0  # type: ignore[index]
    return ()


def _write_kept(bundle: Bundle, stream: IO[bytes], context: ExportContext) -> None:
    stream.write(orjson.dumps(bundle_to_data(KEPT[0])))


def _write_kept_folder(bundle: Bundle, folder: Path, context: ExportContext) -> None:
    (folder / "index.txt").write_text("a folder export\n", encoding="utf-8")
    (folder / "data").mkdir()
    (folder / "data" / "all.json").write_bytes(orjson.dumps(bundle_to_data(KEPT[0])))


def _write_kept_zip(bundle: Bundle, stream: IO[bytes], context: ExportContext) -> None:
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bundle.json", orjson.dumps(bundle_to_data(KEPT[0])))


def _write_visible(bundle: Bundle, stream: IO[bytes], context: ExportContext) -> None:
    stream.write(orjson.dumps(bundle_to_data(bundle)))


def _edit_vocabularies(bundle: Bundle, stream: IO[bytes], context: ExportContext) -> None:
    stream.write(b"x")
    context.vocabularies.pop("themes")  # type: ignore[attr-defined]


class Hostile:
    """A check that keeps the whole bundle, a buggy one, and exporters that leak."""

    @hookimpl
    def pmae_register_checks(self, register: Callable[[Check], None]) -> None:
        register(Check(name="keep", title="Keeps the bundle", check=_keep))
        register(Check(name="fix-scores", title="Fixes scores", check=_fix_scores))

    @hookimpl
    def pmae_register_exporters(self, register: Callable[[Exporter], None]) -> None:
        register(Exporter(name="leak", title="Leak", export=_write_kept, suffix=".json"))
        register(Exporter(name="leak-dir", title="Leak", export=_write_kept_folder,
                          target="directory"))
        register(Exporter(name="leak-zip", title="Leak", export=_write_kept_zip,
                          suffix=".zip"))
        register(Exporter(name="honest", title="Honest", export=_write_visible,
                          suffix=".json"))
        register(Exporter(name="vocab", title="Edits", export=_edit_vocabularies,
                          suffix=".txt"))


@pytest.fixture
def sample_file(pmae_sample_bundle: Bundle, tmp_path: Path) -> Path:
    path = tmp_path / "sample.json"
    write_bundle(pmae_sample_bundle, path)
    return path


@pytest.fixture
def hostile_session(pmae_register: RegisterHelper,
                    pmae_plugin_manager: PluginManager) -> Session:
    assert pmae_register(Hostile).status == "loaded"
    return Session(plugins=pmae_plugin_manager)


def _export(session: Session, *args: str) -> Result:
    return CliRunner().invoke(cli, ["export", *args], obj=session)


def _export_all(session: Session, sample_file: Path, exporter: str, out: Path) -> Any:
    """Export the sample for the audience ``all`` (which may see everything); the JSON
    written."""
    result = _export(session, str(sample_file), "--to", exporter, "--audience", "all", "-o",
                     str(out))
    assert result.exit_code == 0, result.output
    return json.loads(out.read_bytes())


def test_a_buggy_check_cannot_change_the_exported_diagnoses(
    hostile_session: Session, sample_file: Path, tmp_path: Path,
) -> None:
    written = _export_all(hostile_session, sample_file, "json", tmp_path / "all.json")
    assert written["diagnoses"] == json.loads(sample_file.read_bytes())["diagnoses"]
    report = hostile_session.validate_file(sample_file)
    [failed] = [i for i in report.issues if i.code == "check-failed"]
    assert failed.message == (
        "check Hostile:fix-scores failed: TypeError: a record's mapping is read-only: build a "
        "new record with attrs.evolve(record, field={...})")


@pytest.mark.parametrize("exporter", ["leak", "leak-dir", "leak-zip"])
def test_an_exporter_cannot_write_records_its_audience_may_not_see(
    hostile_session: Session, sample_file: Path, tmp_path: Path, exporter: str,
) -> None:
    out = tmp_path / "public-export"
    if exporter != "leak-dir":
        out.write_bytes(b"the previous export")
    before = out.read_bytes() if out.is_file() else None
    result = _export(hostile_session, str(sample_file), "--to", exporter, "-o", str(out),
                     "--force")
    assert result.exit_code == 1, result.output
    sample = hostile_session.load_bundle(sample_file)
    secrets = secrets_of(sample, filter_bundle(sample, "public"))
    assert len(secrets.ids) > 200 and secrets.emails  # the restricted associations among them
    assert result.stderr.startswith(
        f"pmae: error: the exporter {exporter!r} of plugin Hostile failed: it wrote "
        f"{len(secrets.ids) + len(secrets.emails)} record id(s) or e-mail address(es) the "
        "audience 'public' may not see (")
    assert "; nothing was written. " in result.stderr
    assert (out.read_bytes() if out.is_file() else None) == before
    assert not out.is_dir()


def test_the_same_exporter_may_write_everything_for_the_audience_all(
    hostile_session: Session, sample_file: Path, tmp_path: Path,
) -> None:
    written = _export_all(hostile_session, sample_file, "leak", tmp_path / "all.json")
    assert len(written["associations"]) == 200


@pytest.mark.parametrize("audience", ["public", "network", "recipient:autre-reseau"])
def test_an_honest_exporter_passes_the_check(
    hostile_session: Session, sample_file: Path, tmp_path: Path, audience: str,
) -> None:
    out = tmp_path / "visible.json"
    result = _export(hostile_session, str(sample_file), "--to", "honest", "--audience",
                     audience, "-o", str(out))
    assert result.exit_code == 0, result.output


def test_an_exporter_cannot_change_the_sessions_vocabularies(
    hostile_session: Session, sample_file: Path, tmp_path: Path,
) -> None:
    result = _export(hostile_session, str(sample_file), "--to", "vocab", "-o",
                     str(tmp_path / "v.txt"))
    assert result.exit_code == 1
    assert "the exporter 'vocab' of plugin Hostile failed: AttributeError" in result.stderr
    assert "themes" in hostile_session.vocabularies
    assert not (tmp_path / "v.txt").exists()


# -- the scan itself ------------------------------------------------------------------------


SECRETS = Secrets(ids=frozenset({b"essai:asso-1", b"essai:x.y"}),
                  emails=frozenset({b"camille@example.org"}))


@pytest.mark.parametrize(("text", "found"), [
    (b'{"id":"essai:asso-1"}', {"essai:asso-1"}),
    (b"essai:asso-12,essai:asso-10", set()),
    (b"autre:essai:asso-1;", {"essai:asso-1"}),  # inside a longer run of ids
    (b"see essai:asso-1.", {"essai:asso-1"}),  # prose: the full stop is not the id's
    (b"essai:x.y essai:x.yz", {"essai:x.y"}),
    (b"mailto:Camille@Example.org.", {"camille@example.org"}),
    (b"camille@example.org.uk", set()),
])
def test_find_leaks_reads_whole_ids_and_addresses(text: bytes, found: set[str]) -> None:
    assert find_leaks([text], SECRETS) == found


def test_an_id_across_two_chunks_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("pmae.io.leaks._CHUNK", 7)
    stream = io.BytesIO(b"x " * 10 + b"essai:asso-1 " + b"y " * 10)
    assert leaks_in_files([stream], SECRETS) == {"essai:asso-1"}


def test_secrets_are_what_the_filter_hid(pmae_small_bundle: Bundle) -> None:
    public = filter_bundle(pmae_small_bundle, "public")
    secrets = secrets_of(pmae_small_bundle, public)
    shown = {r.id.encode() for _, r in public.records()}
    assert secrets.ids and not secrets.ids & shown
    assert secrets.ids | shown == {r.id.encode() for _, r in pmae_small_bundle.records()}
    assert secrets.emails  # the contact persons' and actors' addresses are removed
    everything: Any = secrets_of(pmae_small_bundle, pmae_small_bundle)
    assert not everything
