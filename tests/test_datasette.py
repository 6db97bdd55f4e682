"""The store and its public export in Datasette 0.65, through Datasette's in-process client:
labels instead of codes, facets through the link tables, full-text search with accents folded,
French metadata, and a public file in which an attacker with SQL finds nothing private."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import unicodedata
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from click.testing import CliRunner

from pmae.cli import cli
from pmae.io.audience import filter_bundle
from pmae.io.bundles import bundle_to_data
from pmae.sample import load_sample, sample_bytes
from pmae.sessions import Session, make_session
from pmae.store import open_store
from pmae.store.datasette import SETTINGS, metadata

datasette_app = pytest.importorskip("datasette.app")

_T = TypeVar("_T")


@pytest.fixture(scope="module")
def core() -> Session:
    """pmae's built-ins alone: what installed plugins do cannot change these tests."""
    return make_session(load=[])


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory, core: Session) -> dict[str, Path]:
    """The sample published into a store (``pmae.db``), and its public export made by
    ``pmae export --to sqlite --audience public`` (``public.sqlite``)."""
    folder = tmp_path_factory.mktemp("datasette")
    sample = folder / "sample.json"
    sample.write_bytes(sample_bytes())
    with open_store(folder / "pmae.db", create=True, session=core) as store:
        store.publish(sample)
    done = CliRunner().invoke(cli, ["export", str(sample), "--to", "sqlite", "--audience",
                                    "public", "-o", str(folder / "public.sqlite")],
                              obj=core, prog_name="pmae")
    assert done.exit_code == 0, done.output
    return {"store": folder / "pmae.db", "public": folder / "public.sqlite"}


def _browse(path: Path, core: Session, scenario: Callable[[Any], Awaitable[_T]]) -> _T:
    """Run ``scenario(ds)`` against a Datasette serving ``path`` as ``pmae serve`` does."""
    ds = datasette_app.Datasette(
        [], immutables=[str(path)], settings={**SETTINGS, "max_returned_rows": 100_000},
        metadata=metadata(path.stem, vocabularies=core.vocabularies))

    async def run() -> _T:
        await ds.invoke_startup()
        return await scenario(ds)

    return asyncio.run(run())


async def _json(ds: Any, url: str) -> Any:
    response = await ds.client.get(url)
    assert response.status_code == 200, (url, response.text[:500])
    return response.json()


def _facet(data: dict[str, Any], column: str) -> dict[str, tuple[str, int]]:
    """value -> (label, count) of one facet of a table page."""
    return {r["value"]: (r["label"], r["count"]) for r in data["facet_results"][column]["results"]}


# --- labels and facets -----------------------------------------------------------------------


def test_link_tables_show_labels_and_facet_themes_and_stages(files: dict[str, Path],
                                                             core: Session) -> None:
    offers = load_sample().offers
    themes = core.vocabularies["themes"]
    stages = core.vocabularies["stages"]

    async def scenario(ds: Any) -> None:
        page = await _json(ds, "/pmae/offers_themes.json?_labels=on&_size=max")
        first = page["rows"][0]
        # The offer's title instead of its row number, the theme's label instead of its code.
        assert first["record"]["label"] in {o.title for o in offers}
        assert first["code"]["label"] == themes.get(first["code"]["value"]).label_fr
        facet = _facet(page, "code")  # opened by the metadata, no _facet needed
        expected = Counter(code for offer in offers for code in offer.themes)
        assert facet == {code: (themes.get(code).label_fr, count)
                         for code, count in expected.items()}
        stage_page = await _json(ds, "/pmae/offers_stages.json?_size=0")
        assert {v: c for v, (_, c) in _facet(stage_page, "code").items()} == Counter(
            code for offer in offers for code in offer.stages)
        assert all(label == stages.get(code).label_fr
                   for code, (label, _) in _facet(stage_page, "code").items())

    _browse(files["store"], core, scenario)


def test_needs_open_with_theme_and_stage_facets_labelled(files: dict[str, Path],
                                                         core: Session) -> None:
    needs = load_sample().needs

    async def scenario(ds: Any) -> None:
        page = await _json(ds, "/pmae/needs.json?_labels=on&_size=1")
        assert page["filtered_table_rows_count"] == len(needs)
        theme = _facet(page, "theme")
        assert {code: count for code, (_, count) in theme.items()} == Counter(
            n.theme for n in needs)
        assert all(label == core.vocabularies["themes"].get(code).label_fr
                   for code, (label, _) in theme.items())
        assert {c: n for c, (_, n) in _facet(page, "stage").items()} == Counter(
            n.stage for n in needs if n.stage)
        assert page["rows"][0]["theme"]["label"] == core.vocabularies["themes"].get(
            page["rows"][0]["theme"]["value"]).label_fr

    _browse(files["store"], core, scenario)


def test_departement_facets_count_what_regions_and_communes_cover(files: dict[str, Path],
                                                                  core: Session) -> None:
    """An offer for a région counts in each of its départements; a need in a commune, in the
    commune's département; the facet shows the départements' names."""
    sample = load_sample()
    territories = core.territories
    offers: Counter[str] = Counter()
    for offer in sample.offers:
        offers.update({d for code in offer.territories for d in territories.departements(code)})
    needs = Counter(territories.departements(n.territory)[0] for n in sample.needs
                    if n.territory)
    assert any(code.startswith("reg:") for o in sample.offers for code in o.territories)

    async def scenario(ds: Any) -> None:
        for table, expected in (("offers_departements", offers), ("needs_departements", needs)):
            facet = _facet(await _json(ds, f"/pmae/{table}.json?_size=0"), "code")
            assert len(expected) < 30  # Datasette lists 30 values of a facet
            assert {code: count for code, (_, count) in facet.items()} == expected
            assert all(label == territories.name(code) for code, (label, _) in facet.items())
        # Filtering by one département through the link table lists the offers it covers.
        isere = await _json(ds, "/pmae/offers.json?_size=max&_through="
                                '{"table":"offers_departements","column":"code",'
                                '"value":"dep:38"}')
        assert isere["filtered_table_rows_count"] == offers["dep:38"]

    _browse(files["store"], core, scenario)


# --- full-text search ------------------------------------------------------------------------


def _folded(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text.casefold())
                   if not unicodedata.combining(c))


@pytest.mark.parametrize("query", ["benevoles", "BÉNÉVOLES", "isere"])
def test_the_search_box_searches_offers_with_accents_folded(files: dict[str, Path],
                                                            core: Session, query: str) -> None:
    word = _folded(query)
    expected = {o.id for o in load_sample().offers
                if word in re.findall(r"\w+", _folded(f"{o.title} {o.description or ''}"))}
    assert expected

    async def scenario(ds: Any) -> set[str]:
        page = await _json(ds, f"/pmae/offers.json?_search={query}&_size=max&_shape=objects")
        return {row["id"] for row in page["rows"]}

    assert _browse(files["store"], core, scenario) == expected


def test_the_search_box_searches_actors(files: dict[str, Path], core: Session) -> None:
    async def scenario(ds: Any) -> list[str]:
        page = await _json(ds, "/pmae/actors.json?_search=delegation&_size=max&_shape=objects")
        return [row["name"] for row in page["rows"]]

    names = _browse(files["store"], core, scenario)
    assert names
    assert names == [a.name for a in load_sample().actors
                     if "delegation" in re.findall(r"\w+", _folded(
                         f"{a.name} {a.description or ''}"))]


# --- metadata --------------------------------------------------------------------------------


def test_every_table_and_column_has_a_french_title_and_description(files: dict[str, Path],
                                                                   core: Session) -> None:
    described = metadata("pmae", vocabularies=core.vocabularies)["databases"]["pmae"]["tables"]
    connection = sqlite3.connect(files["store"])
    tables = [name for (name,) in connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "AND name NOT LIKE '%_fts_%'")]
    for table in tables:
        assert described[table]["title"] and described[table]["description"], table
        if "columns" in described[table]:
            columns = [row[1] for row in connection.execute(f'PRAGMA table_info("{table}")')]
            assert all(described[table]["columns"].get(c) for c in columns), table
    connection.close()
    assert described["vocabulary_themes"]["title"] == (
        "Vocabulaire : " + core.vocabularies["themes"].title_fr)
    assert "Thèmes de la fonction employeur" in described["needs"]["columns"]["theme"]

    async def scenario(ds: Any) -> str:
        response = await ds.client.get("/pmae/offers")
        return str(response.text)

    page = _browse(files["store"], core, scenario)
    assert "Offres" in page and "Intitulé." in page


@pytest.mark.parametrize("which", ["store", "public"])
def test_every_table_page_opens(files: dict[str, Path], core: Session, which: str) -> None:
    """Every table's page, with the metadata's facets: no error, no facet timed out."""
    database = files[which].stem

    async def scenario(ds: Any) -> list[str]:
        names = await _json(ds, f"/{database}.json?sql=select+name+from+sqlite_master+where+"
                                "type+%3D+'table'+and+name+not+like+'sqlite_%25'&_shape=array")
        failed = []
        for name in (row["name"] for row in names):
            page = await ds.client.get(f"/{database}/{name}")
            if page.status_code != 200 or "timed out" in page.text:
                failed.append(f"{name}: {page.status_code}")
        return failed

    assert _browse(files[which], core, scenario) == []


def test_pmae_db_metadata_writes_the_metadata(files: dict[str, Path], core: Session,
                                              tmp_path: Path) -> None:
    import orjson

    out = tmp_path / "metadata.json"
    for name, path in files.items():
        # --force: each store's metadata replaces the previous one's.
        done = CliRunner().invoke(cli, ["db", "metadata", "--db", str(path), "-o", str(out),
                                        "--force"], obj=core, prog_name="pmae")
        assert done.exit_code == 0, done.output
        data = orjson.loads(out.read_bytes())
        (database,) = data["databases"]
        assert database == path.stem
        assert ("public" in data["databases"][database]["title"]) == (name == "public")
        # The licence of the data, read from the file: the sample's, in both.
        assert data["license"] == "Licence Ouverte 2.0 (Etalab)"
    assert "license" not in metadata("x", vocabularies=core.vocabularies)


# --- the public file: what an attacker with SQL finds ---------------------------------------


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_PHONE = re.compile(r"(?<!\d)0\d([ .]?\d\d){4}(?!\d)")
_ID = re.compile(r"[a-z0-9][a-z0-9-]*:[A-Za-z0-9][A-Za-z0-9._-]*")


def _secrets() -> tuple[set[str], set[str]]:
    """The ids of the sample's records the public may not see, and its personal data: every
    person's name, e-mail and phone number, wherever they are in the records."""
    sample = load_sample()
    public = {r.id for _, r in filter_bundle(sample, "public").records()}
    hidden = {r.id for _, r in sample.records()} - public
    personal: set[str] = set()

    def collect(value: Any) -> None:
        if isinstance(value, list):
            for item in value:
                collect(item)
        elif isinstance(value, dict):
            for key, item in value.items():
                if key in ("contacts", "person"):  # the people: name, role, e-mail, phone
                    people = item if isinstance(item, list) else [item]
                    personal.update(p[k] for p in people for k in ("name", "email", "phone")
                                    if isinstance(p, dict) and p.get(k))
                elif key in ("email", "phone", "contact_email") and isinstance(item, str):
                    personal.add(item)
                else:
                    collect(item)

    collect(bundle_to_data(sample))
    return hidden, personal


async def _every_cell(ds: Any, database: str) -> list[str]:
    """Every value of every table (shadow tables of the full text too) of ``database``, read
    with SQL through Datasette as anyone may."""
    listing = await _json(ds, f"/{database}.json?sql=select+name+from+sqlite_master"
                              "+where+type+%3D+'table'&_shape=array")
    cells: list[str] = []
    for row in listing:
        rows = await _json(ds, f"/{database}.json?sql=select+*+from+%22{row['name']}%22"
                               "&_shape=array&_size=max")
        cells += [str(value) for found in rows for value in found.values()]
    return cells


def _leaks(cells: list[str], hidden: set[str], personal: set[str]) -> list[str]:
    return [f"{kind}: {value}" for cell in cells for kind, value in (
        *(("hidden id", m[0]) for m in _ID.finditer(cell) if m[0] in hidden),
        *(("e-mail", m[0]) for m in _EMAIL.finditer(cell)),
        *(("phone", m[0]) for m in _PHONE.finditer(cell)),
        *(("personal", p) for p in personal if p in cell))]


def test_an_attacker_with_sql_finds_nothing_private_in_the_public_file(
        files: dict[str, Path], core: Session) -> None:
    hidden, personal = _secrets()
    assert hidden and len(personal) > 10

    async def scenario(ds: Any) -> tuple[list[str], list[str]]:
        return await _every_cell(ds, "public"), [row["id"] for table in (
            "actors", "offers", "associations", "needs", "meetings", "resources")
            for row in await _json(ds, f"/public/{table}.json?_shape=array&_size=max")]

    cells, ids = _browse(files["public"], core, scenario)
    assert _leaks(cells, hidden, personal) == []
    assert ids and set(ids) <= {r.id for _, r in filter_bundle(load_sample(), "public")
                                .records()}


def test_the_attacker_finds_the_private_data_in_the_store_itself(files: dict[str, Path],
                                                                 core: Session) -> None:
    """The same attack on the store: it finds hidden ids and personal data, so the test above
    would see them if the export let them through."""
    hidden, personal = _secrets()
    cells = _browse(files["store"], core, lambda ds: _every_cell(ds, "pmae"))
    leaks = _leaks(cells, hidden, personal)
    assert {leak.split(":")[0] for leak in leaks} == {"hidden id", "e-mail", "phone",
                                                      "personal"}


def test_the_public_file_says_its_audience_and_has_no_history(files: dict[str, Path]) -> None:
    connection = sqlite3.connect(files["public"])
    assert dict(connection.execute("SELECT key, value FROM store_meta"))["audience"] == "public"
    for table in ("publications", "publication_bundles", "versions", "sources"):
        assert connection.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,)
    # A rollback journal: one file to hand out, no -wal beside it.
    assert connection.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    connection.close()
