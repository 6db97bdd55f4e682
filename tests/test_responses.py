"""Collective responses and practices (bundle format 1.1): schema, checks, audience, store,
tables, and a pmae that reads only format 1.0 reading a 1.1 bundle."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

from pmae import FORMAT_VERSION, Actor, Bundle, Meeting, Offer, Source, validate_document
from pmae.io.audience import filter_bundle
from pmae.io.bundles import bundle_to_data
from pmae.io.response_checks import moves_back
from pmae.model import Practice, Response

WHEN = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
SCHEMAS_1_0 = Path(__file__).parent / "data" / "schemas-1.0"


def _bundle(**responses: object) -> Bundle:
    actor = Actor(id="lma-ra:udes", name="UDES", actor_type="organisation_employeurs",
                  territories=("reg:84",))
    hidden = Actor(id="lma-ra:cache", name="Caché", actor_type="autre", visibility="private")
    offer = Offer(id="lma-ra:offre-ds", actor="lma-ra:udes", title="Conseil dialogue social",
                  themes=("dialogue_social",), stages=("conseil",), territories=("dep:07",))
    meeting = Meeting(id="lma-ra:cofil-1", kind="cofil", title="COFIL",
                      start=WHEN, end=WHEN + dt.timedelta(hours=3))
    response = Response(
        id="lma-ra:reponse-ds", title="Conseil en dialogue social en Ardèche",
        themes=("dialogue_social",), stages=("conseil",), territories=("dep:07",),
        actors=("lma-ra:udes", "lma-ra:cache"), meeting="lma-ra:cofil-1",
        decided_on=dt.date(2026, 3, 1), started_on=dt.date(2026, 4, 1), status="realisee",
        offers=("lma-ra:offre-ds",), **responses)  # type: ignore[arg-type]
    practice = Practice(id="lma-ra:pratique-1", title="Un référent dialogue social partagé",
                        actors=("lma-ra:udes",), themes=("dialogue_social",),
                        territories=("dep:26",), meeting="lma-ra:cofil-1")
    return Bundle(source=Source(slug="lma-ra", name="LMA"), generated_at=WHEN,
                  actors=(actor, hidden), offers=(offer,), meetings=(meeting,),
                  responses=(response,), practices=(practice,))


def test_a_bundle_with_responses_and_practices_is_valid_and_reads_back() -> None:
    bundle = _bundle()
    data = bundle_to_data(bundle)
    assert data["format_version"] == FORMAT_VERSION == "1.1.0"
    report = validate_document(data)
    assert report.issues == []
    assert report.bundle == bundle


def test_references_codes_and_territories_of_responses_are_checked() -> None:
    data = bundle_to_data(_bundle())
    data["responses"][0].update(actors=["lma-ra:absent"], meeting="lma-ra:udes",
                                status="finie", territories=["dep:00"])
    data["practices"][0].update(resources=["lma-ra:offre-ds"], themes=["dialog"])
    # The schema refuses a status that is not a code (the record then skips the semantic
    # checks); a theme of the open vocabulary is a semantic check.
    assert [(i.code, i.path) for i in validate_document(data).issues] == [
        ("wrong-reference", "$.practices[0].resources[0]"),
        ("unknown-code", "$.practices[0].themes[0]"),
        ("unknown-code", "$.responses[0].status"),
    ]
    data["responses"][0].update(status="decidee")
    assert [(i.code, i.path) for i in validate_document(data).issues] == [
        ("wrong-reference", "$.practices[0].resources[0]"),
        ("unknown-code", "$.practices[0].themes[0]"),
        ("dangling-reference", "$.responses[0].actors[0]"),
        ("wrong-reference", "$.responses[0].meeting"),
        ("unknown-territory", "$.responses[0].territories[0]"),
    ]


def test_a_response_s_dates_follow_its_life() -> None:
    data = bundle_to_data(_bundle(ended_on=dt.date(2026, 3, 15)))
    issues = validate_document(data).issues
    assert [(i.code, i.path, i.message) for i in issues] == [
        ("dates-out-of-order", "$.responses[0].ended_on",
         "ended_on 2026-03-15 is before started_on 2026-04-01")]


@pytest.mark.parametrize(("before", "after", "back"), [
    ("envisagee", "decidee", False), ("decidee", "realisee", False),
    ("en_cours", "en_cours", False), ("realisee", "abandonnee", False),
    ("envisagee", "abandonnee", False), ("realisee", "en_cours", True),
    ("decidee", "envisagee", True), ("abandonnee", "decidee", True),
    ("abandonnee", "realisee", True),
])
def test_statuses_only_move_forward_unless_abandoned(before: str, after: str, back: bool) -> None:
    assert moves_back(before, after) is back


def test_the_audience_filter_hides_private_responses_and_hidden_carriers() -> None:
    bundle = _bundle()
    private = attrs.evolve(bundle.practices[0], id="lma-ra:pratique-2", visibility="private")
    bundle = bundle.with_collections({"practices": (*bundle.practices, private)})
    public = filter_bundle(bundle, "public")
    assert [p.id for p in public.practices] == ["lma-ra:pratique-1"]
    # The private actor is cleared from the carriers; the response stays.
    assert public.responses[0].actors == ("lma-ra:udes",)
    assert validate_document(bundle_to_data(public)).issues == []
    assert filter_bundle(bundle, "all").practices == bundle.practices


# --- a pmae that reads format 1.0 -----------------------------------------------------------


@pytest.fixture
def reader_1_0(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This pmae reading as the release that knew format 1.0 did: its JSON Schemas (kept in
    tests/data/schemas-1.0) and its format version."""
    from pmae.io import pipeline, schema_issues, schemas

    def clear() -> None:
        for cached in (schemas._all_schemas, schemas._default_registries, schemas.validator,
                       schema_issues._explainer, schema_issues._explainer_registry):
            cached.cache_clear()

    monkeypatch.setattr(schemas, "_schemas_dir", lambda: SCHEMAS_1_0)
    monkeypatch.setattr(pipeline, "FORMAT_VERSION", "1.0.0")
    monkeypatch.setattr(schema_issues, "RECORD_SCHEMA", {
        name: schema for name, schema in schema_issues.RECORD_SCHEMA.items()
        if name not in ("responses", "practices")})
    clear()
    yield
    monkeypatch.undo()
    clear()


@pytest.mark.usefixtures("reader_1_0")
def test_a_1_0_reader_reads_a_1_1_bundle_without_its_responses_and_practices() -> None:
    from pmae.io.schemas import load_schema

    assert "responses" not in load_schema("bundle")["properties"]  # the old contract
    bundle = _bundle()
    report = validate_document(bundle_to_data(bundle), file="b.json")
    assert [(i.code, i.severity, i.path) for i in report.issues] == [
        ("newer-field", "warning", "$.practices"),
        ("newer-field", "warning", "$.responses"),
    ]
    assert report.issues[1].message == (
        "'responses' comes with bundle format 1.1.0; this pmae reads format 1.0.0 and "
        "ignores it")
    assert report.ok and report.bundle is not None
    # What is left is a bundle of the format this reader knows, and says so.
    assert report.bundle == attrs.evolve(
        bundle.with_collections({"responses": (), "practices": ()}), format_version="1.0.0")


def test_the_1_0_schemas_kept_are_those_of_1_0() -> None:
    # Format 1.1 added two collections and the envelope's audience: the 1.0 contract is the
    # 1.1 one without them.
    names = sorted(p.name for p in SCHEMAS_1_0.glob("*.schema.json"))
    assert "response.schema.json" not in names and "practice.schema.json" not in names
    old = json.loads((SCHEMAS_1_0 / "bundle.schema.json").read_text("utf-8"))
    assert old["x-pmae-version"] == "1.0.0"
    from pmae.io.schemas import load_schema

    new = load_schema("bundle")
    assert set(new["properties"]) - set(old["properties"]) == {"responses", "practices",
                                                               "audience"}


# --- tables, store, updates -----------------------------------------------------------------


def test_csv_tables_carry_responses_and_practices(tmp_path: Path) -> None:
    from pmae.exchange import export_bundle, import_file

    bundle = _bundle()
    export_bundle(bundle, "csv", tmp_path / "out", audience="all")
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert {"responses.csv", "practices.csv"} <= set(names)
    assert (tmp_path / "out" / "responses.csv").read_bytes().splitlines()[0] == (
        b"id,title,description,themes,stages,territories,actors,meeting,programme,decided_on,"
        b"started_on,ended_on,status,offers,productions,visibility,recipients")
    report = import_file("csv", tmp_path / "out")
    assert report.bundle == bundle


def _store_session() -> object:
    from pmae.sessions import make_session

    return make_session(load=[])


def test_a_store_of_version_3_upgrades_and_holds_responses(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pmae.io.bundles import write_bundle
    from pmae.store import SCHEMA_VERSION, connection, open_store, upgrade

    db = tmp_path / "s.db"
    with monkeypatch.context() as old:
        old.setattr(connection, "SCHEMA_VERSION", 3)  # a store made by the previous pmae
        open_store(db, create=True).close()
    assert upgrade(db) == (3, list(range(4, SCHEMA_VERSION + 1)))
    write_bundle(_bundle(), tmp_path / "b.json")
    session = _store_session()
    with open_store(db, session=session) as store:  # type: ignore[arg-type]
        result = store.publish(tmp_path / "b.json")
        assert result.changes["responses"].added == 1
        assert store.dump().responses == _bundle().responses
    fresh = tmp_path / "fresh.db"
    open_store(fresh, create=True).close()
    # An upgraded store and a new one have the same tables.
    import sqlite3

    def tables(path: Path) -> list[str]:
        with sqlite3.connect(path) as c:
            return sorted(r[0] for r in c.execute(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'index')"))
    assert tables(db) == tables(fresh)
    assert "responses_departements" in tables(fresh)


@pytest.mark.parametrize("suffix", [".json", ".jsonl"])
def test_publishing_a_response_that_moves_back_is_refused(
        tmp_path: Path, store_at: str, suffix: str) -> None:
    """Refused whole (JSON) and record by record (JSON Lines), on both backends."""
    from pmae.io.bundles import write_bundle
    from pmae.io.pipeline import InvalidBundleError
    from pmae.store import open_store

    write_bundle(_bundle(), tmp_path / f"b{suffix}")
    back = _bundle()
    back = back.with_collections({"responses": [attrs.evolve(back.responses[0],
                                                             status="en_cours")]})
    write_bundle(back, tmp_path / f"back{suffix}")
    abandoned = back.with_collections({"responses": [attrs.evolve(back.responses[0],
                                                                  status="abandonnee")]})
    write_bundle(abandoned, tmp_path / f"abandoned{suffix}")
    with open_store(store_at, create=True, session=_store_session()) as store:  # type: ignore[arg-type]
        store.publish(tmp_path / f"b{suffix}")
        with pytest.raises(InvalidBundleError) as refused:
            store.publish(tmp_path / f"back{suffix}")
        assert [i.render() for i in refused.value.issues] == [
            f"{tmp_path / f'back{suffix}'}:$.responses[0].status: error [status-backwards] "
            "response 'lma-ra:reponse-ds' goes from 'realisee' back to 'en_cours' — a response "
            "only moves forward (envisagee, decidee, en_cours, realisee) or is abandoned: keep "
            "its status, or record a new response"]
        assert len(store.log()) == 1
        assert store.publish(tmp_path / f"abandoned{suffix}").changes["responses"].changed == 1


def test_an_update_that_moves_a_response_back_is_refused(tmp_path: Path) -> None:
    from pmae.io.bundles import write_bundle
    from pmae.updates import InvalidUpdateError, update_bundle

    path = tmp_path / "b.json"
    write_bundle(_bundle(), path)
    before = path.read_bytes()

    def reopen(bundle: Bundle) -> Bundle:
        return bundle.with_collections({"responses": [
            attrs.evolve(bundle.responses[0], status="decidee")]})

    with pytest.raises(InvalidUpdateError) as refused:
        update_bundle(path, reopen, session=_store_session())  # type: ignore[arg-type]
    assert [i.code for i in refused.value.issues] == ["status-backwards"]
    assert path.read_bytes() == before


@pytest.mark.parametrize(("distribution", "fmt"), [("pmae-hsds", "hsds"),
                                                     ("pmae-datainclusion", "datainclusion")])
def test_the_directory_exporters_are_unaffected_by_responses_and_practices(
        tmp_path: Path, distribution: str, fmt: str) -> None:
    pytest.importorskip(distribution.replace("-", "_"))
    from pmae.exchange import export_bundle
    from pmae.sessions import make_session

    session = make_session(load=[distribution])
    bundle = _bundle()
    without = bundle.with_collections({"responses": (), "practices": ()})

    def exported(b: Bundle, name: str) -> dict[str, bytes]:
        export_bundle(b, fmt, tmp_path / name, session=session, audience="all")
        root = tmp_path / name
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        return {str(p.relative_to(tmp_path / name)) if p != root else "": p.read_bytes()
                for p in files}

    assert exported(bundle, "with") == exported(without, "without")
