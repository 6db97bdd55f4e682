"""The communes and EPCI of the COG: shipped data, names, containment, refusal, extraction."""

from __future__ import annotations

import gzip
import json
import runpy
import subprocess
import sys
import tarfile
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest

import pmae
from pmae.io.checks import CheckContext
from pmae.plugins import TerritoryReferential, hookimpl, make_plugin_manager
from pmae.render.labels import Labels
from pmae.sample import sample_bytes
from pmae.synth import generate
from pmae.territories import TerritoryError, core_territories, read_territories
from pmae.territories.communes import shipped_folder

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "data" / "decoupage"
GEO = files("pmae").joinpath("data", "geo.json")
T = core_territories()
LYON, METROPOLE = "com:69123", "epci:200046977"


def _rows(name: str) -> list[list[str]]:
    text = gzip.decompress(shipped_folder().joinpath(name).read_bytes()).decode("utf-8")
    return [line.split("\t") for line in text.splitlines()]


# -- the shipped data ---------------------------------------------------------------------------


def test_shipped_row_counts_match_the_manifest_and_the_cog() -> None:
    manifest = json.loads(shipped_folder().joinpath("cog.json").read_text(encoding="utf-8"))
    communes, epci = _rows("communes.tsv.gz"), _rows("epci.tsv.gz")
    assert communes[0] == ["code", "nom", "epci", "commune"]
    assert epci[0] == ["code", "nom", "nature"]
    current = [row for row in communes[1:] if not row[3]]
    arrondissements = [row for row in communes[1:] if row[3]]
    counts = manifest["counts"]
    assert (len(current), len(arrondissements), len(epci) - 1) == (
        counts["communes"], counts["arrondissements_municipaux"], counts["epci"])
    # COG 2026: about 34,900 communes, ~1,250 EPCI; Paris 20 + Lyon 9 + Marseille 16.
    assert (counts["communes"], counts["arrondissements_municipaux"], counts["epci"]) == (
        34875, 45, 1255)
    assert sum(1 for row in current if not row[2]) == counts["communes_without_epci"] == 4
    assert manifest["dataset"] == "@etalab/decoupage-administratif"
    assert manifest["version"] == "6.0.0"
    assert manifest["licence"] == "etalab-2.0"
    assert T.cog_version == "@etalab/decoupage-administratif 6.0.0"
    readme = shipped_folder().joinpath("README.md").read_text(encoding="utf-8")
    assert "Licence Ouverte" in readme and "6.0.0" in readme
    # Every commune of every département the referential knows, and nothing else.
    assert {T.departements(c)[0] for c in T.communes("fr")} == set(T.departements("fr"))
    assert len(T.communes("fr")) == 34875
    assert set(T.communes("reg:84")) == set(T.communes("reg:82")) | set(T.communes("reg:83"))


def test_the_data_is_small_in_the_wheel() -> None:
    size = sum(shipped_folder().joinpath(name).stat().st_size  # type: ignore[attr-defined]
               for name in ("communes.tsv.gz", "epci.tsv.gz", "cog.json"))
    assert size < 400_000


# -- names and containment ----------------------------------------------------------------------


@pytest.mark.parametrize(("code", "name"), [
    (LYON, "Lyon"), ("com:2A004", "Ajaccio"), ("com:97411", "Saint-Denis"),
    ("com:38421", "Saint-Martin-d'Hères"), ("com:75112", "Paris 12e Arrondissement"),
    ("com:74010", "Annecy"), (METROPOLE, "Métropole de Lyon"),
    ("epci:200040715", "Grenoble-Alpes-Métropole"),
])
def test_names(code: str, name: str) -> None:
    assert T.name(code) == name


def test_commune_is_in_its_epci_departement_and_region() -> None:
    grenoble = "com:38185"
    epci = T.epci(grenoble)
    assert epci == "epci:200040715"
    for outer in (epci, "dep:38", "reg:84", "reg:82", "fr"):
        assert T.contains(outer, grenoble), outer
    assert T.contains("dep:38", epci) and T.contains("reg:84", epci)
    assert not T.contains(METROPOLE, grenoble) and not T.contains("dep:69", epci)
    assert T.parents(grenoble) == ("dep:38", epci)
    assert grenoble in T.communes(epci) and grenoble in T.communes("dep:38")
    assert T.departements(epci) == ("dep:38",)
    assert T.epci("com:22016") is None  # Île-de-Bréhat is in no EPCI
    assert T.ancestors("com:22016") == frozenset({"dep:22", "reg:53", "fr"})


def test_an_epci_is_in_the_departements_of_its_members() -> None:
    straddling = [e for e in {T.epci(c) for c in T.communes("fr")} - {None}
                  if len(T.departements(str(e))) > 1]
    assert straddling  # a few EPCI straddle two départements
    epci = sorted(str(e) for e in straddling)[0]
    departements = T.departements(epci)
    assert {T.departements(c)[0] for c in T.communes(epci)} == set(departements)
    for departement in departements:
        assert T.contains(departement, epci)
    # Yet each member is only in its own département: Paris is in the Métropole du Grand Paris,
    # which reaches the Essonne and the Val-d'Oise, but Paris is not in them.
    grand_paris = "epci:200054781"
    assert T.departements(grand_paris) == tuple(f"dep:{d}" for d in (75, 91, 92, 93, 94, 95))
    assert T.contains(grand_paris, "com:75056") and T.contains("dep:91", grand_paris)
    assert T.ancestors("com:75056") == frozenset({grand_paris, "dep:75", "reg:11", "fr"})
    assert not T.contains("dep:92", "com:75056") and not T.contains("dep:92", "com:75112")


def test_arrondissements_municipaux_are_in_their_commune() -> None:
    assert T.parents("com:69381") == ("dep:69", LYON)
    assert T.contains(LYON, "com:69381") and T.contains(METROPOLE, "com:69381")
    assert T.contains("epci:200054781", "com:75112")  # Métropole du Grand Paris
    assert "com:69381" not in T.communes("dep:69")  # not a commune itself
    assert T.communes("dep:75") == ("com:75056",)


# -- unknown communes ---------------------------------------------------------------------------


def test_unknown_commune_is_refused_with_the_nearest_communes() -> None:
    with pytest.raises(TerritoryError) as info:
        T.parse("com:69999")
    error = info.value
    assert error.code == "unknown-commune"
    assert error.suggestions == ("com:69299", "com:69199", "com:69099")
    assert str(error) == (
        "commune 'com:69999' does not exist in the Code officiel géographique; did you mean "
        "com:69299 (Colombier-Saugnieu), com:69199 (Saint-Fons) or com:69099 (Haute-Rivoire)?")
    assert not T.exists("com:69999")
    # Two digits swapped come first: 38815 for Grenoble (38185), then one digit off.
    assert T.nearest_communes("com:38815") == ("com:38185", "com:38515", "com:38415")
    assert T.nearest_communes("com:2A999")[0].startswith("com:2A")
    assert T.nearest_communes("dep:69") == ()


def _document(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(sample_bytes())
    change(document)
    return document


def test_validation_refuses_an_unknown_commune_with_names_in_the_hint() -> None:
    def change(document: dict[str, Any]) -> None:
        document["associations"][0]["commune"] = "com:69999"
        document["offers"][0]["territories"] = ["com:69626"]

    report = pmae.validate_document(_document(change), context=CheckContext())
    found = [(i.code, i.path, i.hint) for i in report.issues]
    assert found == [
        ("unknown-commune", "$.associations[0].commune",
         "did you mean com:69299 (Colombier-Saugnieu), com:69199 (Saint-Fons) or "
         "com:69099 (Haute-Rivoire)?"),
        ("unknown-commune", "$.offers[0].territories[0]",
         "did you mean com:69266 (Villeurbanne), com:69126 (Marcy) or com:69026 (Le Breuil)?"),
    ]
    assert report.issues[0].message == (
        "commune 'com:69999' does not exist in the Code officiel géographique "
        "(@etalab/decoupage-administratif 6.0.0)")


def test_a_commune_name_instead_of_its_code_gets_the_code_in_the_hint() -> None:
    def change(document: dict[str, Any]) -> None:
        document["associations"][0]["commune"] = "Villeurbane"

    report = pmae.validate_document(_document(change))
    assert [(i.code, i.hint) for i in report.issues] == [
        ("malformed-territory",
         "did you mean com:69266 (Villeurbanne) or com:41288 (Villerbon)?")]


def test_the_sample_and_the_generator_use_real_communes() -> None:
    sample = json.loads(sample_bytes())
    for collection in ("actors", "associations", "meetings"):
        for record in sample.get(collection, ()):
            if record.get("commune"):
                assert T.exists(record["commune"]), record["commune"]
    generated = generate(associations=300, seed=7)
    communes = {a["commune"] for a in generated["associations"]}
    assert len(communes) > 200 and all(T.exists(c) for c in communes)


# -- outputs show names ---------------------------------------------------------------------------


def test_labels_name_communes_and_epci() -> None:
    labels = Labels("fr", {}, T)
    assert labels.territory("com:38421") == "Saint-Martin-d'Hères"
    assert labels.territory(METROPOLE) == "Métropole de Lyon"


# -- laziness -----------------------------------------------------------------------------------


def test_communes_are_read_on_first_need_only() -> None:
    script = (
        "import pmae, pmae.territories as t\n"
        "T = t.core_territories()\n"
        "assert T.contains('reg:84', 'dep:69') and T.name('dep:69') == 'Rhône'\n"
        "pmae.session().territories.name('reg:84')\n"
        "assert T._table is None, 'read too early'\n"
        "assert T.name('com:69123') == 'Lyon' and T._table is not None\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True)


# -- plugins: referentials on top, or a newer vintage instead -------------------------------------


def _extract(out: Path, source: Path = FIXTURE) -> dict[str, Any]:
    script = runpy.run_path(str(ROOT / "tools" / "extract_communes.py"))
    assert script["main"]([str(source), "--out", str(out)]) == 0
    return script


def test_a_plugin_vintage_replaces_the_shipped_communes(tmp_path: Path) -> None:
    _extract(tmp_path)
    vintage = read_territories(GEO, tmp_path)

    class Vintage:
        @hookimpl
        def pmae_register_territories(
            self, register: Callable[[TerritoryReferential], None],
        ) -> None:
            register(TerritoryReferential(name="cog-test", title="COG (test)", base=vintage))
            register(TerritoryReferential(
                name="nouvelle", title="Commune nouvelle", level="com",
                entries=(("com:69999", "Commune nouvelle", (METROPOLE,)),)))

    manager = make_plugin_manager(load=[], strict=True, plugins=[Vintage()])
    territories = manager.territories()
    assert territories.cog_version == "@etalab/decoupage-administratif 6.0.0-test"
    assert territories.name("com:69266") == "Villeurbanne"
    assert not territories.exists("com:38185")  # not in the test vintage
    assert territories.contains(METROPOLE, "com:69999")  # added by the referential
    assert territories.communes(METROPOLE) == ("com:69123", "com:69266", "com:69999")
    assert T.exists("com:38185") and not T.exists("com:69999")  # the core is unchanged


def test_without_a_commune_folder_the_departement_decides() -> None:
    bare = read_territories(GEO)
    assert bare.exists("com:69999") and bare.name(LYON) is None
    assert not bare.exists(METROPOLE)
    assert bare.cog_version is None and bare.communes("dep:69") == ()
    assert bare.nearest_communes("com:69999") == () and bare.communes_named("Lyon") == ()


# -- the extraction script ----------------------------------------------------------------------


def test_extraction_of_a_small_extract(tmp_path: Path) -> None:
    _extract(tmp_path / "a")
    rows = gzip.decompress((tmp_path / "a" / "communes.tsv.gz").read_bytes()).decode()
    assert rows.splitlines() == [
        "code\tnom\tepci\tcommune",
        "01001\tL'Abergement-Clémenciat\t200040806\t",
        "22016\tÎle-de-Bréhat\t\t",
        "69001\tAffoux\t200040806\t",
        "69123\tLyon\t200046977\t",
        "69266\tVilleurbanne\t200046977\t",
        "69381\tLyon 1er Arrondissement\t\t69123",
        "97411\tSaint-Denis\t249740119\t",
    ]  # no delegated commune, no commune of a collectivité d'outre-mer
    manifest = json.loads((tmp_path / "a" / "cog.json").read_text(encoding="utf-8"))
    assert manifest["version"] == "6.0.0-test"
    assert manifest["counts"] == {
        "communes": 6, "arrondissements_municipaux": 1, "epci": 3,
        "communes_without_epci": 1, "left_out_outside_departements": 1}
    # The same from the tarball `npm pack` downloads, byte for byte.
    tarball = tmp_path / "package.tgz"
    with tarfile.open(tarball, "w:gz") as archive:
        archive.add(FIXTURE / "package", arcname="package")
    _extract(tmp_path / "b", tarball)
    for name in ("communes.tsv.gz", "epci.tsv.gz", "cog.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    territories = read_territories(GEO, tmp_path / "a")
    assert territories.contains("dep:01", "epci:200040806")
    assert territories.contains("dep:69", "epci:200040806")
    assert territories.departements("epci:200040806") == ("dep:01", "dep:69")


def test_extraction_refuses_inconsistent_data(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "package"
    (folder / "data").mkdir(parents=True)
    (folder / "package.json").write_text((FIXTURE / "package" / "package.json").read_text())
    (folder / "data" / "communes.json").write_text(
        (FIXTURE / "package" / "data" / "communes.json").read_text())
    epci = json.loads((FIXTURE / "package" / "data" / "epci.json").read_text())
    epci[0]["membres"].append({"code": "69999"})
    (folder / "data" / "epci.json").write_text(json.dumps(epci))
    script = runpy.run_path(str(ROOT / "tools" / "extract_communes.py"))
    assert script["main"]([str(tmp_path), "--out", str(tmp_path / "out")]) == 1
    assert "EPCI 200046977 lists 69999, not a current commune" in capsys.readouterr().err
    assert script["main"]([str(tmp_path / "nothing"), "--out", str(tmp_path / "out")]) == 1
    assert not (tmp_path / "out").exists()
