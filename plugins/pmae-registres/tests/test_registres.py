"""The registry importers, on fixture files made from the registries' published field lists.

No test touches the network. Each import goes through ``pmae.exchange.import_file``, which
validates the result like any bundle, as ``pmae import`` does.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pmae.cli import cli
from pmae.exchange import import_file
from pmae.io.bundles import write_bundle
from pmae.io.pipeline import Report
from pmae.model import Association, Bundle
from pmae.plugins import OptionError, make_plugin_manager
from pmae.sessions import Session, make_session
from pmae.updates import update_bundle

import pmae_registres
from pmae_registres import enrich, online
from pmae_registres.rna import COLUMNS, PERSONAL

DATA = Path(__file__).parent / "data"
API = DATA / "recherche-entreprises.json"
# The importer hook gives no session: reading uses the default one, with every installed
# plugin, and pmae-broken warns there.
pytestmark = pytest.mark.filterwarnings("ignore::pmae.plugins.PluginWarning")


@pytest.fixture(scope="module")
def session() -> Session:
    return make_session(load=[], plugins=[pmae_registres], entry_points=False)


def run(importer: str, path: Path, session: Session, **options: str) -> Report:
    return import_file(importer, path, options=options, session=session)


def issues_of(report: Report) -> set[tuple[str, str, int | None, str, str | None]]:
    return {(i.code, i.severity, i.line, i.path, i.column) for i in report.issues}


# -- RNA ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["rna_waldec_utf8.csv", "rna_waldec_latin1.csv"])
def test_rna_extract_gives_active_associations(session: Session, name: str) -> None:
    report = run("rna", DATA / name, session, source="lma-ra")
    assert report.ok and report.bundle is not None
    sportive, theatre, partage = report.bundle.associations
    assert sportive == Association(
        id="lma-ra:W691012345", name="Association sportive des Pentes", rna="W691012345",
        siren="412345670", siret="41234567000019", commune="com:69381",
        founded=sportive.founded, visibility="restricted")
    assert sportive.founded is not None and sportive.founded.isoformat() == "1998-09-01"
    assert (theatre.name, theatre.commune, theatre.siret) == (
        "Théâtre du Bugey Éclaté", "com:01053", None)
    assert partage.siret is None  # bad check digit, reported
    assert issues_of(report) == {
        ("registres:skipped", "info", 4, "$", "position"),
        ("registres:bad-identifier", "warning", 5, "$", "siret"),
        ("registres:bad-identifier", "warning", 6, "$", "id"),
    }
    assert all(i.file == str(DATA / name) for i in report.issues)


def test_pmae_import_reads_an_extract(session: Session, pmae_register: Any,
                                      pmae_import: Any) -> None:
    """pmae.testing's kit: the importer registered on a fresh manager, read and validated as
    ``pmae import rna`` does, gives what the plugin's session gives."""
    pmae_register(pmae_registres, name="pmae-registres")
    path = DATA / "rna_waldec_latin1.csv"
    report = pmae_import(path, "rna", options={"source": "lma-ra"})
    expected = run("rna", path, session, source="lma-ra")
    assert report.ok and report.bundle is not None and expected.bundle is not None
    assert report.bundle.associations == expected.bundle.associations
    assert issues_of(report) == issues_of(expected)


def test_rna_personal_columns_are_never_stored(session: Session, tmp_path: Path) -> None:
    output = tmp_path / "out.json"
    result = CliRunner().invoke(cli, ["import", "rna", str(DATA / "rna_waldec_utf8.csv"),
                                       "--option", "source=lma-ra", "-o", str(output)])
    assert result.exit_code == 0, result.output
    written = output.read_text(encoding="utf-8") + result.output
    for personal in ("Marie Dupont", "Jean Martin", "Paul Durand", "0612345678",
                     "marie.dupont@example.org", "joignable", "3 rue Privée"):
        assert personal not in written
    assert set(COLUMNS) >= PERSONAL
    assert {"dir_civilite", "adrg_declarant"} <= PERSONAL


def test_rna_territory_option_keeps_one_territory(session: Session) -> None:
    report = run("rna", DATA / "rna_waldec_utf8.csv", session, source="lma-ra",
                 territory="dep:01")
    assert report.bundle is not None
    assert [a.rna for a in report.bundle.associations] == ["W012000005"]


@pytest.mark.parametrize(("options", "message"), [
    ({}, "the source slug of the ids is not given"),
    ({"source": "Mon Réseau"}, "must be a slug"),
    ({"source": "lma-ra", "territory": "reg:99"}, "is not a territory pmae knows"),
])
def test_bad_options_are_errors(session: Session, options: dict[str, str],
                                message: str) -> None:
    report = run("rna", DATA / "rna_waldec_utf8.csv", session, **options)
    assert not report.ok and report.bundle is None
    assert any(message in i.message for i in report.issues if i.code == "registres:bad-option")


def test_undeclared_options_are_usage_errors(session: Session,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANGUAGE", "en")  # the core's part of a message follows the locale
    # Declared options: pmae checks them before the importer runs, and lists them.
    with pytest.raises(OptionError, match="unknown option colour for the importer 'rna'; its "
                                          "options: source"):
        run("rna", DATA / "rna_waldec_utf8.csv", session, source="lma-ra", colour="blue")
    with pytest.raises(OptionError, match="option online: 'maybe' is not a bool"):
        run("recherche-entreprises", API, session, source="lma-ra", online="maybe")


# -- recherche-entreprises ------------------------------------------------------------------


def test_a_dropped_value_is_a_warning_of_the_import(session: Session, tmp_path: Path) -> None:
    response = json.loads(API.read_text(encoding="utf-8"))
    response["results"][0]["tranche_effectif_salarie"] = "ZZ"
    path = tmp_path / "response.json"
    path.write_text(json.dumps(response), encoding="utf-8")
    shown: list[str] = []
    report = import_file("recherche-entreprises", path, options={"source": "lma-ra"},
                         session=session, on_warnings=shown.append)
    assert report.ok and "registres:lost" not in {i.code for i in report.issues}
    [summary] = shown
    assert summary.startswith("pmae_registres, importer 'recherche-entreprises': 1 warning:")
    assert "size band 'ZZ' is not an INSEE size band: not imported" in summary
    assert f"({path}:$.results[0]" in summary
    # Called directly, without pmae's context, it stays an issue of the result.
    direct = pmae_registres.import_entreprises(path, {"source": "lma-ra"}, session=session)
    assert "registres:lost" in {i.code for i in direct.issues}




def test_api_response_gives_associations_only(session: Session) -> None:
    report = run("recherche-entreprises", API, session, source="lma-ra")
    assert report.ok and report.bundle is not None
    sportive, domicile = report.bundle.associations
    assert sportive == Association(
        id="lma-ra:W691012345", name="ASSOCIATION SPORTIVE DES PENTES (ASP)",
        rna="W691012345", siren="412345670", siret="41234567000019", sector="sport",
        size_band="02", commune="com:69381", idcc="2511", founded=sportive.founded)
    assert (domicile.id, domicile.sector, domicile.size_band, domicile.siret,
            domicile.idcc) == ("lma-ra:501234561", "aide_domicile", "03", None, None)
    assert issues_of(report) == {
        ("registres:skipped", "info", None, "$.results[1].nature_juridique", None),
        ("registres:bad-identifier", "warning", None, "$.results[2].siege.siret", None),
        ("registres:skipped", "info", None, "$.results[3].etat_administratif", None),
        ("registres:bad-identifier", "warning", None, "$.results[4].siren", None),
    }
    # The people the API lists are never read.
    assert "DUPONT" not in json.dumps([i.to_dict() for i in report.issues])


@pytest.mark.parametrize(("importer", "content", "code", "line", "path", "message"), [
    ("rna", "nom;prenom\nA;B\n", "invalid-csv", 1, "$", "column(s) id, titre, position"),
    ("rna", ";".join(COLUMNS) + "\nW691012345;trop court\n", "invalid-csv", 2, "$",
     "2 cells where the header has 41"),
    ("recherche-entreprises", '{"results": {"siren": 1}}', "registres:not-results", None,
     "$.results", "not a recherche-entreprises response"),
    ("recherche-entreprises", '{"results": [{"nature_juridique": "9220"}]}', "missing-field",
     None, "$.results[0].siren", "siren is missing"),
    ("recherche-entreprises", '{"results": [{"siren": 412345670}]}', "wrong-type", None,
     "$.results[0].siren", "must be a string"),
    ("recherche-entreprises", "[1, 2", "invalid-json", 1, "$", "column"),
    ("recherche-entreprises", '[{"siren": "412345670", "nature_juridique": "9220", '
     '"nom_complet": "X", "siege": "ici"}]', "wrong-type", None, "$[0].siege",
     "must be an object"),
])
def test_bad_files_are_located_errors(session: Session, tmp_path: Path, importer: str,
                                      content: str, code: str, line: int | None, path: str,
                                      message: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANGUAGE", "en")  # the core's part of a message follows the locale
    file = tmp_path / "input"
    file.write_text(content, encoding="utf-8")
    report = run(importer, file, session, source="lma-ra")
    errors = [i for i in report.issues if i.severity == "error"]
    assert not report.ok and report.bundle is None
    assert [(i.code, i.file, i.line, i.path) for i in errors] == [(code, str(file), line, path)]
    assert message in errors[0].message


# -- enriching a bundle ---------------------------------------------------------------------


def test_importing_over_a_bundle_fills_what_it_lacks(session: Session, tmp_path: Path) -> None:
    first = run("rna", DATA / "rna_waldec_utf8.csv", session, source="lma-ra")
    assert first.bundle is not None
    # The network had typed another commune for one association.
    known = first.bundle.associations[0]
    typed = first.bundle.with_collections({"associations": [
        Association(id=known.id, name=known.name, rna=known.rna, commune="com:69123"),
        *first.bundle.associations[1:]]})
    bundle_path = tmp_path / "reseau.json"
    write_bundle(typed, bundle_path)
    report = run("recherche-entreprises", API, session, bundle=str(bundle_path))
    assert report.ok and report.bundle is not None
    enriched = {a.id: a for a in report.bundle.associations}
    sportive = enriched["lma-ra:W691012345"]
    assert (sportive.siren, sportive.siret, sportive.size_band, sportive.idcc,
            sportive.sector) == ("412345670", "41234567000019", "02", "2511", "sport")
    assert sportive.commune == "com:69123"  # the bundle's value is kept …
    (differs,) = [i for i in report.issues if i.code == "registres:differs"]
    assert differs.path == "$.results[0]" and "com:69381" in differs.message  # … and reported
    assert "lma-ra:501234561" in enriched  # not in the bundle: added
    assert len(enriched) == 4


def test_enrich_is_a_change_for_update_bundle(session: Session, tmp_path: Path) -> None:
    imported = run("recherche-entreprises", API, session, source="lma-ra")
    assert imported.bundle is not None
    path = tmp_path / "reseau.json"
    write_bundle(Bundle(source=imported.bundle.source,
                        generated_at=imported.bundle.generated_at), path)
    result = update_bundle(path, lambda b: enrich(b, imported.bundle.associations
                                                  if imported.bundle else ()),
                           session=session)
    assert result.added == {"associations": 2}


def test_invalid_bundle_to_enrich_is_an_error(session: Session, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    shutil.copy(API, bad)
    report = run("rna", DATA / "rna_waldec_utf8.csv", session, bundle=str(bad))
    errors = [i for i in report.issues if i.severity == "error"]
    assert errors[0].code == "registres:bad-bundle" and len(errors) > 1
    assert {i.file for i in errors} == {str(bad)}  # the bundle's own errors say where
    assert report.bundle is None


def test_plugin_is_installed_with_both_importers() -> None:
    manager = make_plugin_manager(load=["pmae-registres"], strict=True)
    info = manager.infos["pmae-registres"]
    assert (info.version, info.status) == ("0.1.0", "loaded")
    assert info.items == (("importer", "recherche-entreprises"), ("importer", "rna"))


def test_no_test_touches_the_network(monkeypatch: pytest.MonkeyPatch, session: Session) -> None:
    import socket

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("network used")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    assert run("recherche-entreprises", API, session, source="lma-ra").ok
    assert run("rna", DATA / "rna_waldec_latin1.csv", session, source="lma-ra").ok


# -- the optional online lookup, with a fake transport (never the network) ------------------


class FakeClock:
    """A clock that moves only when slept on, recording every call's time."""

    def __init__(self) -> None:
        self.now = 0.0
        self.calls: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def api_answer(unit: dict[str, Any]) -> bytes:
    return json.dumps({"results": [unit], "total_results": 1}).encode()


def test_lookup_respects_the_rate_limit_and_retry_after(tmp_path: Path) -> None:
    units = json.loads(API.read_text(encoding="utf-8"))["results"]
    clock = FakeClock()
    answers = iter([(429, b"", 2.0), (200, api_answer(units[0]), None),
                    (200, api_answer(units[2]), None), (200, b'{"results": []}', None)])

    def fetch(url: str) -> tuple[int, bytes, float | None]:
        clock.calls.append(clock.now)
        return next(answers)

    limiter = online.Limiter(per_second=online.REQUESTS_PER_SECOND, clock=lambda: clock.now,
                             sleep=clock.sleep)
    found, issues = online.lookup(tmp_path / "ids.txt",
                                  [("W691012345", 1), ("501234561", 2), ("412345670", 4)],
                                  fetch=fetch, limiter=limiter)
    # The 429 waits its Retry-After; then never more than 5 requests a second.
    assert clock.calls == pytest.approx([0.0, 2.0, 2.2, 2.4])
    assert [(unit["siren"], line) for unit, line in found] == [("412345670", 1),
                                                               ("501234561", 2)]
    assert [(i.code, i.line, i.severity) for i in issues] == [
        ("registres:lookup-failed", 4, "warning")]


def test_online_import_reads_a_list_of_identifiers(session: Session, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    units = {u["siren"]: u for u in json.loads(API.read_text(encoding="utf-8"))["results"]}
    asked: list[str] = []

    def fetch(url: str) -> tuple[int, bytes, float | None]:
        asked.append(url)
        return 200, api_answer(units["412345670"]), None

    monkeypatch.setattr(online, "fetch_url", fetch)
    ids = tmp_path / "ids.txt"
    ids.write_text("# associations du réseau\nW691012345\n\n41234567000019  # siège\n",
                   encoding="utf-8")
    report = run("recherche-entreprises", ids, session, source="lma-ra", online="yes")
    assert report.ok and report.bundle is not None
    assert [a.id for a in report.bundle.associations] == ["lma-ra:W691012345"]
    assert [url.split("?")[1] for url in asked] == ["q=W691012345&per_page=5",
                                                    "q=41234567000019&per_page=5"]


def test_a_wrong_identifier_costs_no_request(session: Session, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    def fetch(url: str) -> tuple[int, bytes, float | None]:
        raise AssertionError("no request for a wrong list")

    monkeypatch.setattr(online, "fetch_url", fetch)
    ids = tmp_path / "ids.txt"
    ids.write_text("412345670\n412345671\n", encoding="utf-8")
    report = run("recherche-entreprises", ids, session, source="lma-ra", online="yes")
    assert [(i.code, i.line) for i in report.issues] == [("registres:bad-identifier", 2)]
    assert not report.ok
