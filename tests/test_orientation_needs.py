"""The reference date is explicit, and orientation starts from the diagnosis (issue 14, points
3 and 4): --date defaulting to the session's date (never the bundle's), offers left out by
their dates said, each waiting need of an association oriented, --pick, the orientation sheet.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import attrs
import html5lib
import pytest
from test_nothing_lost import invoke, sample_in

from pmae import load_bundle
from pmae.analysis.coverage import coverage
from pmae.analysis.orientation import OfferIndex, excluded_by_date, open_needs, orient_needs
from pmae.model import Need
from pmae.render.sheets.orientation import build_orientation_sheet, orientation_html
from pmae.sample import load_sample
from pmae.sessions import Session, make_session

ISERE = "pmae-ra:offre-010"  # the DLA de l'Isère's offer, in force until 2025-12-31
ASSOCIATION = "pmae-ra:asso-001"  # in Saint-Martin-d'Hères (Isère)
SAMPLE_DAY = dt.date(2025, 12, 1)


def _invoke(*args: str, as_of: str = "2025-12-01") -> tuple[int, str, str]:
    return invoke(*args, as_of=as_of)


@pytest.fixture()
def sample(tmp_path: Path) -> Path:
    return sample_in(tmp_path)


@pytest.fixture()
def diagnosed(sample: Path, tmp_path: Path) -> Path:
    """The sample with a diagnosis of the association recorded today (its date moves)."""
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({f"A{d}.{q}": 1 for d in range(1, 7) for q in range(1, 6)}),
                       encoding="utf-8")
    code, _, err = _invoke("diagnose", "diagnostic-partage", "--answers", str(answers),
                           "--bundle", str(sample), "--association", ASSOCIATION,
                           "--date", "2025-11-20")
    assert code == 0, err
    return sample


# --- the reference date ---------------------------------------------------------------------


def test_recording_moves_the_bundle_date_not_the_reference_date(diagnosed: Path) -> None:
    bundle = load_bundle(diagnosed)
    assert bundle.generated_at.date() > dt.date(2026, 1, 1)  # recorded "now"
    # The session's date (here 2025-12-01) decides, not the bundle's: the Isère offer, in force
    # on that day, is still proposed after the recording.
    code, out, _ = _invoke("orient", str(diagnosed), "--theme", "modele_economique",
                           "--commune", "com:38421", "--stage", "conseil")
    assert code == 0
    assert out.splitlines()[1].endswith(f"[{ISERE}]")
    index = OfferIndex.build(bundle, session=make_session(load=[], as_of=SAMPLE_DAY))
    assert index.today == SAMPLE_DAY
    grid = coverage(bundle, session=make_session(load=[], as_of=SAMPLE_DAY))
    assert grid.as_of == SAMPLE_DAY


def test_an_offer_left_out_by_its_dates_is_said(sample: Path) -> None:
    code, out, _ = _invoke("orient", str(sample), "--theme", "modele_economique", "--commune",
                           "com:38421", "--stage", "conseil", "--date", "2026-06-01",
                           "--lang", "fr")
    assert code == 0
    assert ISERE not in "\n".join(out.splitlines()[:-1])
    assert out.splitlines()[-1] == (
        "Offre écartée à la date du 1er juin 2026 : Diagnostic partagé et accompagnement "
        "individuel DLA de l'Isère — DLA de l'Isère (DLA départemental) "
        f"[{ISERE}] (elle a expiré le 31 décembre 2025 ; elle aurait été proposée au rang 1 ; "
        "--date pour une autre date)")
    code, out, _ = _invoke("orient", str(sample), "--theme", "modele_economique", "--commune",
                           "com:38421", "--stage", "conseil", "--format", "json", "--lang",
                           "en", as_of="2026-06-01")
    data = json.loads(out)
    assert data["date"] == "2026-06-01"
    assert [(e["offer"], e["why"], e["valid_until"], e["rank"]) for e in data["excluded"]] == [
        (ISERE, "expiree", "2025-12-31", 1)]
    # Not started yet: said too.
    bundle = load_sample()
    index = OfferIndex.build(bundle, today=dt.date(2024, 6, 1), session=make_session(load=[]))
    need = Need(id="t:n", theme="modele_economique", stage="conseil", origin="declare",
                date=dt.date(2024, 6, 1), territory="com:38421")
    assert ISERE in {s.offer.id for s in excluded_by_date(index, need)}


@pytest.mark.parametrize("command", [["orient"], ["coverage"], ["report"], ["sheet"],
                                     ["programme", "check"]])
def test_every_dated_command_takes_date_defaulting_to_today(command: list[str]) -> None:
    code, out, _ = _invoke(*command, "--help")
    assert code == 0
    assert "--date" in out and "(default: today)" in " ".join(out.split())
    assert "(default: the bundle's date)" not in out


# --- orientation from the diagnosis ---------------------------------------------------------


def test_orient_association_orients_each_waiting_need(diagnosed: Path) -> None:
    bundle = load_bundle(diagnosed)
    waiting = open_needs(bundle, ASSOCIATION)
    created = bundle.diagnoses[-1].needs
    assert set(created) <= {n.id for n in waiting}
    assert [(n.priority, -(n.intensity or 0)) for n in waiting] == sorted(
        (n.priority, -(n.intensity or 0)) for n in waiting)
    code, out, _ = _invoke("orient", str(diagnosed), "--association", ASSOCIATION,
                           "--limit", "2", "--lang", "fr")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == (f"Orientation de École de musique de Saint-Martin-d'Hères "
                        f"[{ASSOCIATION}] au 1er décembre 2025 : {len(waiting)} besoin(s) en "
                        "attente, du plus urgent au moins urgent")
    headings = [line.split(" · ")[0] for line in lines if line.startswith("Besoin ")]
    assert headings == [f"Besoin {n.id}" for n in waiting]
    # The economic-model need goes to the Isère's DLA first (its theme, its département).
    first = next(n for n in waiting if n.theme == "modele_economique")
    block = out.split(f"Besoin {first.id}")[1].split("\nBesoin ")[0]
    assert block.splitlines()[1].endswith(f"[{ISERE}]")
    code, out, _ = _invoke("orient", str(diagnosed), "--association", ASSOCIATION,
                           "--format", "json")
    data = json.loads(out)
    assert [n["need"] for n in data["needs"]] == [n.id for n in waiting]
    assert all(n["suggestions"] for n in data["needs"])
    # An association with no waiting need gets the general orientation, and is told so.
    calm = next(a.id for a in bundle.associations
                if a.commune and not open_needs(bundle, a.id))
    code, out, _ = _invoke("orient", str(diagnosed), "--association", calm, "--lang", "fr")
    assert code == 0 and "n'a aucun besoin en attente" in out.splitlines()[0]
    assert out.splitlines()[1].startswith("Orientation : ")


def test_orient_needs_library(diagnosed: Path) -> None:
    bundle = load_bundle(diagnosed)
    index = OfferIndex.build(bundle, today=dt.date(2026, 6, 1), session=make_session(load=[]))
    oriented = orient_needs(index, ASSOCIATION, limit=2)
    economic = next(o for o in oriented if o.need.theme == "modele_economique")
    assert ISERE not in {s.offer.id for s in economic.suggestions}
    assert [s.offer.id for s in economic.excluded] == [ISERE]


def test_record_picks_the_proposals(sample: Path) -> None:
    need = "pmae-ra:besoin-0003"
    code, out, err = _invoke("orient", str(sample), "--need", need, "--record", "--pick",
                             "1,3", "--by", "pmae-ra:lma-ra")
    assert code == 0, err
    referrals = [r for r in load_bundle(sample).referrals if r.need == need][-2:]
    proposed = [line for line in out.splitlines() if line[:3].strip().rstrip(".").isdigit()]
    assert [r.offer for r in referrals] == [proposed[0].rsplit("[", 1)[1].rstrip("]"),
                                            proposed[2].rsplit("[", 1)[1].rstrip("]")]
    assert [r.id.rsplit("-", 1)[1] for r in referrals] == ["1", "3"]
    for pick, message in (("9", "--pick 9: only"), ("x", "--pick takes the ranks"),
                          ("0", "--pick takes the ranks")):
        code, _, err = _invoke("orient", str(sample), "--need", need, "--record", "--pick",
                               pick, "--by", "pmae-ra:lma-ra")
        assert code == 2 and message in err, (pick, err)
    code, _, err = _invoke("orient", str(sample), "--need", need, "--pick", "1")
    assert code == 2 and "--pick" in err


def _session() -> Session:
    return make_session(load=[], as_of=SAMPLE_DAY)


def test_the_orientation_sheet(diagnosed: Path, tmp_path: Path) -> None:
    bundle = load_bundle(diagnosed)
    sheet = build_orientation_sheet(bundle, ASSOCIATION, session=_session())
    assert sheet.date == SAMPLE_DAY
    assert sheet.diagnosis is not None and sheet.diagnosis.id == bundle.diagnoses[-1].id
    assert sheet.diagnosis_lines[0] == "Diagnostic partagé PMAE, le 20 novembre 2025"
    assert [n.need.id for n in sheet.needs] == [n.id for n in open_needs(bundle, ASSOCIATION)]
    page = orientation_html(sheet, session=_session())
    html5lib.HTMLParser(strict=True).parse(page)
    assert "École de musique de Saint-Martin-d&#39;Hères" in page
    for need in sheet.needs:
        assert need.need.id in page
    # How to reach the actors: the network sees their contacts.
    actor = next(s.actor for n in sheet.needs for s in n.suggestions if s.actor and s.actor.email)
    assert actor.email in page
    # Public-only offers? No: the sheet is for the network; a private offer never shows.
    private = attrs.evolve(bundle, offers=tuple(attrs.evolve(o, visibility="private")
                                                if o.id == ISERE else o for o in bundle.offers))
    hidden = build_orientation_sheet(private, ASSOCIATION, session=_session())
    assert ISERE not in {s.offer.id for n in hidden.needs for s in n.suggestions}
    assert ISERE in {s.offer.id for n in sheet.needs for s in n.suggestions}
    # From the command line, HTML (and refused over an existing file without --force).
    out = tmp_path / "fiche.html"
    code, _, err = _invoke("orient", str(diagnosed), "--association", ASSOCIATION,
                           "--sheet", str(out), "--lang", "fr")
    assert code == 0, err
    assert "Fiche d'orientation écrite" in err
    # The command proposes --limit 5 offers, at most --per-actor 2 of one actor.
    wide = build_orientation_sheet(bundle, ASSOCIATION, limit=5, per_actor=2, session=_session())
    assert out.read_text(encoding="utf-8") == orientation_html(wide, session=_session())
    code, _, err = _invoke("orient", str(diagnosed), "--need", "pmae-ra:besoin-0003",
                           "--sheet", str(out))
    assert code == 2 and "--sheet writes the orientation sheet of an --association" in err


@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian's chromium")
def test_the_orientation_sheet_prints_to_pdf(diagnosed: Path, tmp_path: Path) -> None:
    out = tmp_path / "fiche.pdf"
    code, _, err = _invoke("orient", str(diagnosed), "--association", ASSOCIATION,
                           "--sheet", str(out))
    assert code == 0, err
    assert out.read_bytes().startswith(b"%PDF-")
    code, _, err = _invoke("orient", str(diagnosed), "--association", ASSOCIATION,
                           "--sheet", str(tmp_path / "fiche.txt"))
    assert code == 2 and "give a .html or a .pdf file" in err
