"""Updating a bundle in place (:mod:`pmae.updates`) and the three commands that record into a
bundle with it: ``pmae diagnose``, ``pmae orient --record`` and ``pmae sheet --record``."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner

import pmae
from pmae.cli import cli
from pmae.io.bundles import write_bundle
from pmae.io.pipeline import InvalidBundleError
from pmae.model import Bundle
from pmae.sample import load_sample, sample_bytes
from pmae.sessions import make_session
from pmae.updates import BundleUpdate, InvalidUpdateError, NewerFormatError, update_bundle

ANSWERS = Path(__file__).resolve().parent / "data" / "answers" / "diagnostic-partage-fragile.json"
NEED = "pmae-ra:besoin-0001"


@pytest.fixture
def session() -> pmae.Session:
    """pmae's built-ins only, whatever else is installed."""
    return make_session(load=[])


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    path = tmp_path / "sample.json"
    write_bundle(load_sample(), path)
    return path


@pytest.fixture
def newer(tmp_path: Path) -> Path:
    """The sample as a bundle of format 1.2.0 with a field this pmae does not know."""
    data = json.loads(sample_bytes())
    data["format_version"] = "1.2.0"
    data["offers"][0]["accessibility"] = "PMR"
    path = tmp_path / "newer.json"
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def _mark(need_id: str, status: str) -> Callable[[Bundle], Bundle]:
    def change(bundle: Bundle) -> Bundle:
        needs = [attrs.evolve(n, status=status) if n.id == need_id else n for n in bundle.needs]
        return bundle.with_collections({"needs": needs})
    return change


def _add_need(bundle: Bundle) -> Bundle:
    template = bundle.needs[0]
    extra = attrs.evolve(template, id="pmae-ra:besoin-nouveau", diagnosis=None)
    return bundle.with_collections({"needs": (*bundle.needs, extra)})


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# --- the library ---------------------------------------------------------------------------


def test_update_bundle_writes_the_change_and_counts_it(sample: Path,
                                                       session: pmae.Session) -> None:
    result = pmae.update_bundle(sample, lambda b: _mark(NEED, "clos")(_add_need(b)),
                                session=session)
    assert result.written and result.path == str(sample)
    assert (dict(result.added), dict(result.changed), dict(result.removed)) == (
        {"needs": 1}, {"needs": 1}, {})
    assert result.summary() == "needs: 1 added, 1 changed"
    assert result.summary("fr") == "needs : 1 ajouté(s), 1 modifié(s)"
    reread = session.load_bundle(sample)
    assert reread == result.bundle
    assert next(n for n in reread.needs if n.id == NEED).status == "clos"


def test_a_change_that_changes_nothing_writes_nothing(sample: Path,
                                                      session: pmae.Session) -> None:
    before = os.stat(sample)
    result = update_bundle(sample, lambda bundle: bundle, session=session)
    assert (result.written, result.unchanged, result.summary()) == (False, True, "no change")
    after = os.stat(sample)
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_an_invalid_result_leaves_the_file_as_it_was(sample: Path,
                                                     session: pmae.Session) -> None:
    original = sample.read_bytes()

    def dangling(bundle: Bundle) -> Bundle:
        need = attrs.evolve(bundle.needs[0], id="pmae-ra:besoin-orphelin",
                            association="pmae-ra:nobody", diagnosis=None)
        return bundle.with_collections({"needs": (*bundle.needs, need)})

    with pytest.raises(InvalidUpdateError) as raised:
        update_bundle(sample, dangling, session=session)
    assert {i.code for i in raised.value.issues if i.severity == "error"} == {
        "dangling-reference"}
    assert str(raised.value).startswith(f"nothing was written: {sample} would not be valid")
    assert sample.read_bytes() == original
    assert _leftovers(sample.parent) == []


def test_a_write_that_fails_midway_leaves_the_file_as_it_was(
        sample: Path, session: pmae.Session, monkeypatch: pytest.MonkeyPatch) -> None:
    original = sample.read_bytes()

    def broken_replace(source: str, target: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="No space left"):
        update_bundle(sample, _add_need, session=session)
    monkeypatch.undo()
    assert sample.read_bytes() == original
    assert _leftovers(sample.parent) == []


def test_a_change_that_raises_writes_nothing(sample: Path, session: pmae.Session) -> None:
    original = sample.read_bytes()

    def failing(bundle: Bundle) -> Bundle:
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        update_bundle(sample, failing, session=session)
    assert sample.read_bytes() == original


def test_a_bundle_with_errors_is_not_opened(tmp_path: Path, session: pmae.Session) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"format_version": "1.0.0"}', encoding="utf-8")
    with pytest.raises(InvalidBundleError):
        update_bundle(path, _add_need, session=session)
    assert path.read_text(encoding="utf-8") == '{"format_version": "1.0.0"}'


def test_a_newer_format_is_refused_in_place_and_kept_elsewhere(
        newer: Path, tmp_path: Path, session: pmae.Session) -> None:
    original = newer.read_bytes()
    with pytest.raises(NewerFormatError) as raised:
        update_bundle(newer, _add_need, session=session)
    assert [i.path for i in raised.value.issues] == ["$.offers[0].accessibility"]
    assert str(raised.value) == (f"{newer} holds fields of a newer bundle format that this "
                                 "pmae would drop by writing it again")
    assert newer.read_bytes() == original
    # Written to another file, the original keeps what this pmae does not know.
    other = tmp_path / "other.jsonl"
    result = update_bundle(newer, _add_need, output=other, session=session)
    assert result.written and dict(result.added) == {"needs": 1}
    assert newer.read_bytes() == original
    assert len(session.load_bundle(other).needs) == len(load_sample().needs) + 1


def test_a_file_replaced_meanwhile_is_read_again(sample: Path,
                                                 session: pmae.Session) -> None:
    update = BundleUpdate.open(sample, session=session)
    # Another program records something while this update waits (questions being asked).
    update_bundle(sample, _mark(NEED, "clos"), session=session)
    result = update.apply(_add_need)
    reread = session.load_bundle(sample)
    assert next(n for n in reread.needs if n.id == NEED).status == "clos"  # not lost
    assert any(n.id == "pmae-ra:besoin-nouveau" for n in reread.needs)
    assert dict(result.added) == {"needs": 1} and not result.changed


# --- the three commands that record into a bundle -------------------------------------------


def _invoke(*args: str) -> tuple[int, str, str]:
    # The run's session handed in, as the root group would build it: built-ins only.
    result = CliRunner().invoke(cli, list(args), obj=make_session(load=[]))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    return result.exit_code, result.stdout, result.stderr


def _refused(err: str, path: Path, hint: str) -> bool:
    return err.splitlines() == [
        f"{path}:$.offers[0].accessibility: warning [newer-field] 'accessibility' comes with "
        "bundle format 1.2.0; this pmae reads format 1.1.0 and ignores it — upgrade pmae to "
        "read it; meanwhile the field is ignored",
        f"{path} holds fields of a newer bundle format that this pmae would drop by writing "
        f"it again: {hint}",
    ]


def test_diagnose_refuses_a_newer_format_in_place(newer: Path) -> None:
    original = newer.read_bytes()
    code, out, err = _invoke("diagnose", "diagnostic-partage", "--answers", str(ANSWERS),
                             "--bundle", str(newer), "--association", "pmae-ra:asso-001")
    assert (code, out) == (1, "")
    assert _refused(err, newer, "write the result to another file with -o"), err
    assert newer.read_bytes() == original


def test_orient_record_refuses_a_newer_format_in_place(newer: Path, tmp_path: Path) -> None:
    original = newer.read_bytes()
    args = ("orient", str(newer), "--need", NEED, "--record", "--by", "pmae-ra:dla-69",
            "--today", "2025-09-01")
    code, out, err = _invoke(*args)
    assert (code, out) == (1, "")
    assert _refused(err, newer, "write the result to another file with -o"), err
    assert newer.read_bytes() == original
    # With -o, the referrals go to the other file and the original is kept as it was.
    other = tmp_path / "other.json"
    code, _, err = _invoke(*args, "-o", str(other))
    assert code == 0, err
    assert newer.read_bytes() == original and other.exists()


def test_sheet_record_refuses_a_newer_format(newer: Path, tmp_path: Path) -> None:
    original = newer.read_bytes()
    folder = tmp_path / "fiches"
    code, out, err = _invoke("sheet", str(newer), "--theme", "projet_emploi", "--format", "md",
                             "-o", str(folder), "--record", "--by", "pmae-ra:lma-ra")
    assert (code, out) == (1, "")
    assert _refused(err, newer, "record the sheets with a pmae that reads this format, or "
                                "leave --record out"), err
    assert newer.read_bytes() == original
    assert not folder.exists()  # refused before any sheet was written


def test_the_commands_say_what_they_added_or_changed(sample: Path, tmp_path: Path) -> None:
    code, _, err = _invoke("orient", str(sample), "--need", NEED, "--record", "--by",
                           "pmae-ra:dla-69", "--today", "2025-09-01")
    assert code == 0, err
    bundle = pmae.load_bundle(sample)
    new = [r.id for r in bundle.referrals if r.need == NEED][-3:]
    assert err == (f"recorded in {sample}: 3 referral(s) {new[0]} … {new[-1]} "
                   "[referrals: 3 added]\n")
    code, _, err = _invoke("sheet", str(sample), "--theme", "projet_emploi", "--format", "md",
                           "-o", str(tmp_path / "fiches"), "--record", "--by", "pmae-ra:lma-ra")
    assert code == 0, err
    assert err == (f"recorded in {sample}: 1 production(s) "
                   "(pmae-ra:essentiels-projet_emploi-2025) [productions: 1 added]\n")
    # The same sheet made again replaces its production: changed, not added.
    code, _, err = _invoke("sheet", str(sample), "--theme", "projet_emploi", "--format", "md",
                           "-o", str(tmp_path / "fiches"), "--record", "--by", "pmae-ra:lma-ra",
                           "--by", "pmae-ra:dla-69")
    assert code == 0, err
    assert err.endswith("[productions: 1 changed]\n")


def test_orient_record_marks_an_open_need_and_says_so(tmp_path: Path) -> None:
    bundle = load_sample()
    need = next(n for n in bundle.needs if n.status == "ouvert")
    path = tmp_path / "b.json"
    write_bundle(bundle, path)
    code, _, err = _invoke("orient", str(path), "--need", need.id, "--limit", "2", "--record",
                           "--by", "pmae-ra:dla-69", "--today", "2025-09-01")
    assert code == 0, err
    # The need's status changed (ouvert -> oriente): said, not only the referrals added.
    assert err.endswith(" [needs: 1 changed; referrals: 2 added]\n"), err
    assert next(n for n in pmae.load_bundle(path).needs if n.id == need.id).status == "oriente"
