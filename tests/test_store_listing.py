"""Listings of the store: combined filters, territory containment, audiences, the session's
store, the commands ``pmae offers/actors/associations/needs-list``; and, on random bundles,
listings and orientation from the store against the same questions asked of its dump."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json
import re
import sqlite3
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from store_versions import drop_later_collections
from strategies import bundles

from pmae.cli import cli
from pmae.io.audience import filter_bundle
from pmae.model import Bundle, Source
from pmae.sample import load_sample, sample_bytes
from pmae.sessions import make_session
from pmae.store import SCHEMA_VERSION, ListingError, Store, open_store, upgrade
from pmae.store.listing import fold

CORE = make_session(load=[])


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A store holding the sample, on each backend."""
    from conftest import new_database

    folder = tmp_path_factory.mktemp("listing")
    (folder / "ra.json").write_bytes(sample_bytes())
    db = str(folder / "pmae.db") if request.param == "sqlite" else \
        new_database(request.getfixturevalue("postgres"))
    with open_store(db, create=True, session=CORE) as store:
        store.publish(folder / "ra.json")
    return db


@pytest.fixture
def store(db: str) -> Iterator[Store]:
    """The sample's store, open."""
    with open_store(db, session=CORE) as opened:
        yield opened


def _ids(records: Any) -> list[str]:
    return [record.id for record in records]


def test_an_offer_for_a_region_is_found_from_its_departements_and_communes(
        store: Store) -> None:
    sample = load_sample()
    regional = [o.id for o in sample.offers if "reg:84" in o.territories]
    assert regional
    for place in ("dep:38", "com:38185"):
        found = _ids(store.offers(territory=place))
        assert set(regional) <= set(found)
        # Nothing found that does not serve the place.
        for offer in store.offers(territory=place):
            assert any(CORE.territories.contains(t, place) for t in offer.territories)
    assert not set(_ids(store.offers(territory="dep:38"))) & {
        o.id for o in sample.offers if o.territories == ("dep:69",)}


def test_filters_combine(store: Store) -> None:
    sample = load_sample()
    types = {a.id: a.actor_type for a in sample.actors}
    expected = [o.id for o in sample.offers if "gepp" in o.themes
                and {"conseil", "formation"} & set(o.stages)
                and any(CORE.territories.contains(t, "dep:38") for t in o.territories)]
    assert expected
    assert _ids(store.offers(theme="gepp", stage=["conseil", "formation"],
                             territory="dep:38")) == expected
    dla = [o.id for o in sample.offers if types[o.actor] == "dla_departemental"]
    assert _ids(store.offers(type="dla_departemental")) == dla
    assert _ids(store.offers(theme="gepp", type="dla_departemental")) == [
        o for o in dla if o in _ids(store.offers(theme="gepp"))]


def test_text_is_searched_accents_and_case_folded(store: Store) -> None:
    found = store.actors(text="ecole")
    assert found and all("école" in f"{a.name} {a.description}".lower() for a in found)
    assert _ids(store.actors(text="ÉCOLE")) == _ids(found)
    assert store.offers(text="formati")  # a prefix finds "formation"
    assert store.offers(text='"unclosed') == ()  # quotes are words, not FTS syntax
    named = store.associations(text=load_sample().associations[0].name[:6].upper())
    assert load_sample().associations[0].id in _ids(named)


def test_associations_names_are_searched_in_full_text(store: Store, tmp_path: Path,
                                                      db: str) -> None:
    """Words of associations' names, accents and case folded, each a prefix (FTS5, schema
    version 4), also in a store of version 3 once upgraded."""
    def fold(text: str) -> str:
        return "".join(c for c in unicodedata.normalize("NFKD", text.lower())
                       if not unicodedata.combining(c))

    sample = load_sample().associations
    accented = next(a for a in sample if fold(a.name) != a.name.lower())
    word = next(w for w in re.findall(r"\w+", accented.name) if fold(w) != w.lower())
    folded = fold(word)[:-1].upper()  # "ecol" finds "École"
    expected = [a.id for a in sample
                if any(fold(w).startswith(fold(word)[:-1]) for w in re.findall(r"\w+", a.name))]
    assert accented.id in expected
    assert _ids(store.associations(text=folded)) == expected
    if not Path(db).is_file():
        return  # PostgreSQL: its migrations are its own
    old = tmp_path / "v3.db"
    source = sqlite3.connect(db)
    source.backup(target := sqlite3.connect(old))
    source.close()
    target.execute("DROP TABLE associations_fts")
    drop_later_collections(target, version=3)  # version 5's responses and practices
    target.execute("UPDATE store_meta SET value = '3' WHERE key = 'schema_version'")
    target.commit()
    target.close()
    assert upgrade(old) == (3, list(range(4, SCHEMA_VERSION + 1)))
    with open_store(old, session=CORE) as upgraded:
        assert _ids(upgraded.associations(text=folded)) == expected


def test_associations_and_needs_lie_in_a_territory(store: Store) -> None:
    sample = load_sample()
    communes = {a.id: a.commune for a in sample.associations}
    inside = [a.id for a in sample.associations
              if a.commune and CORE.territories.contains("dep:38", a.commune)]
    assert inside and _ids(store.associations(territory="dep:38")) == inside
    place = {n.id: n.territory or communes.get(n.association or "") for n in sample.needs}
    needs = [n.id for n in sample.needs if place[n.id]
             and CORE.territories.contains("reg:84", place[n.id] or "")
             and n.theme == "gepp"]
    assert needs and _ids(store.needs(territory="reg:84", theme="gepp")) == needs
    asso = sample.associations[2].id
    assert _ids(store.needs(association=asso)) == [
        n.id for n in sample.needs if n.association == asso]
    with_gepp = {n.association for n in sample.needs if n.theme == "gepp"}
    assert _ids(store.associations(theme="gepp")) == [
        a.id for a in sample.associations if a.id in with_gepp]


def test_audiences_filter_as_a_dump_does(store: Store) -> None:
    for audience in ("public", "network", "recipient:pmae-ra"):
        dumped = store.dump(audience=audience)
        assert store.needs(audience=audience) == dumped.needs
        assert store.offers(audience=audience) == dumped.offers
        assert store.actors(audience=audience) == dumped.actors
    assert store.needs(audience="public") == ()
    assert all(a.email is None for a in store.actors(audience="public"))


def test_bad_filters_are_refused(store: Store) -> None:
    with pytest.raises(ListingError, match="not a known territory"):
        store.associations(territory="dep:99")
    with pytest.raises(ListingError, match="territory 'zz:1'"):
        store.offers(territory="zz:1")


def test_the_session_lists_its_store(store: Store) -> None:
    session = CORE.evolve(store=store)
    assert session.offers(theme="gepp", territory="dep:38") == store.offers(
        theme="gepp", territory="dep:38")
    assert session.needs(limit=3) == store.needs()[:3]
    assert session.actors(type="dla_departemental") and session.associations(
        territory="dep:69")
    with pytest.raises(ValueError, match="no store"):
        CORE.offers()


# --- the commands ---------------------------------------------------------------------------


def _invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), obj=CORE, prog_name="pmae")


def test_listing_commands_print_the_same_records_as_python(db: str, store: Store) -> None:
    as_json = _invoke("offers", "--db", db, "--theme", "gepp", "--territory", "dep:38",
                      "--format", "json")
    assert as_json.exit_code == 0, as_json.output
    assert [r["id"] for r in json.loads(as_json.stdout)] == _ids(
        store.offers(theme="gepp", territory="dep:38"))
    assert as_json.stderr.startswith(f"{len(json.loads(as_json.stdout))} offers from ")
    as_csv = _invoke("needs-list", "--db", db, "--theme", "gepp", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [r["id"] for r in rows] == _ids(store.needs(theme="gepp"))
    assert set(rows[0]) == {"id", "association", "theme", "stage", "territory", "status", "date"}
    table = _invoke("actors", "--db", db, "--text", "ecole")
    assert table.exit_code == 0 and table.stdout.split()[:4] == ["id", "name", "actor_type",
                                                                 "territories"]
    assert _ids(store.actors(text="ecole"))[0] in table.stdout
    limited = _invoke("associations", "--db", db, "--limit", "2", "--format", "json")
    assert len(json.loads(limited.stdout)) == 2
    public = _invoke("needs-list", "--db", db, "--audience", "public", "--format", "json")
    assert json.loads(public.stdout) == []


@pytest.mark.parametrize(("args", "message"), [
    (["offers", "--theme", "nope"], "unknown code 'nope'"),
    (["actors", "--territory", "dep:99"], "dep:99"),
    (["needs-list", "--audience", "everyone"], "unknown audience"),
    (["associations", "--type", "x"], "No such option"),
])
def test_listing_commands_refuse_bad_filters(db: str, args: list[str], message: str) -> None:
    done = _invoke(*args, "--db", db)
    assert done.exit_code == 2 and message in done.stderr


def test_pmae_needs_stays_the_shared_diagnosis(db: Path) -> None:
    done = _invoke("needs", "--db", db, "--format", "json")
    assert done.exit_code == 0 and "cells" in json.loads(done.stdout)


# --- random bundles -----------------------------------------------------------------------------

NOW = dt.datetime(2026, 1, 5, 10, 0, tzinfo=dt.UTC)


def _serves(territories: tuple[str, ...], place: str) -> bool:
    return any(CORE.territories.contains(t, place) for t in territories)


def _lies_in(code: str | None, place: str) -> bool:
    try:
        return code is not None and CORE.territories.contains(place, code)
    except ValueError:
        return False


#: Where a new store goes, for a ``with`` block (conftest's ``new_store_at``: each backend).
NewStore = Callable[[], AbstractContextManager[str]]


@contextlib.contextmanager
def _published(new_store_at: NewStore, bundle: Bundle) -> Iterator[Store]:
    with new_store_at() as db, open_store(db, create=True, session=CORE) as store:
        store.publish(bundle)
        yield store


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bundle=bundles(max_records=3), place=st.sampled_from(["dep:38", "reg:84", "fr",
                                                             "com:69123", "dep:75"]),
       audience=st.sampled_from(["all", "public", "network"]))
def test_listings_from_the_store_are_the_dump_filtered(new_store_at: NewStore, bundle: Bundle,
                                                       place: str, audience: str) -> None:
    with _published(new_store_at, bundle) as store:
        dumped = filter_bundle(store.dump(source=Source(slug="x", name="X"),
                                          generated_at=NOW), audience)
        types = {a.id: a.actor_type for a in store.dump().actors}
        assert store.offers(territory=place, audience=audience) == tuple(
            o for o in dumped.offers if _serves(o.territories, place))
        for offer in bundle.offers[:1]:
            for theme in offer.themes[:1]:
                assert store.offers(theme=theme, type=types[offer.actor],
                                    audience=audience) == tuple(
                    o for o in dumped.offers
                    if theme in o.themes and types[o.actor] == types[offer.actor])
        assert store.actors(territory=place, audience=audience) == tuple(
            a for a in dumped.actors if _serves(a.territories, place))
        assert store.associations(territory=place, audience=audience) == tuple(
            a for a in dumped.associations if _lies_in(a.commune, place))
        communes = {a.id: a.commune for a in store.dump().associations}
        assert store.needs(territory=place, audience=audience) == tuple(
            n for n in dumped.needs
            if _lies_in(n.territory or communes.get(n.association or ""), place))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bundle=bundles(max_records=3))
def test_orienting_from_the_store_is_orienting_its_dump(new_store_at: NewStore,
                                                        bundle: Bundle) -> None:
    from pmae.analysis.offer_index import OfferIndex
    from pmae.analysis.orientation import orient, pathway

    def answer(index: OfferIndex, kind: str, record_id: str) -> object:
        try:
            target = getattr(index, kind)(record_id)
            return orient(index, target), pathway(index, target)
        except ValueError as error:  # no commune, an unknown territory…
            return f"{type(error).__name__}: {error}"

    with _published(new_store_at, bundle) as store:
        whole = store.bundle()
        day = whole.generated_at.date()
        index = OfferIndex.build(whole, today=day, session=CORE)
        for kind, record_id in [("association", a.id) for a in bundle.associations] + [
                ("need", n.id) for n in bundle.needs]:
            part = OfferIndex.build(store.orientation_bundle(**{kind: record_id}), today=day,
                                    session=CORE)
            assert answer(part, kind, record_id) == answer(index, kind, record_id)


def test_offers_in_force_on_a_day(db: str, store: Store) -> None:
    sample = load_sample()
    day = dt.date(2026, 3, 1)
    expected = [o.id for o in sample.offers
                if (o.valid_from is None or o.valid_from <= day)
                and (o.valid_until is None or day <= o.valid_until)]
    assert 0 < len(expected) < len(sample.offers)
    assert _ids(store.offers(date=day)) == expected == _ids(store.offers(date="2026-03-01"))
    done = _invoke("offers", "--db", db, "--date", "2026-03-01", "--format", "json")
    assert [r["id"] for r in json.loads(done.stdout)] == expected


def test_a_need_placed_by_a_hidden_association_does_not_tell_where_it_is(
        new_store_at: NewStore) -> None:
    # A public need of a restricted association, with no territory of its own: listed by
    # place for those who may see the association, not for the public (its commune would
    # give away where the hidden association is).
    from pmae.model import Association, Need

    bundle = Bundle(
        source=Source(slug="lma-ra", name="LMA"), generated_at=NOW,
        associations=(Association(id="lma-ra:asso", name="Asso", commune="com:01001",
                                  visibility="restricted"),),
        needs=(Need(id="lma-ra:besoin", theme="recrutement", origin="declare",
                    date="2025-09-01",
                    association="lma-ra:asso", visibility="public"),))
    with _published(new_store_at, bundle) as store:
        assert [n.id for n in store.needs(territory="reg:84", audience="all")] == [
            "lma-ra:besoin"]
        assert store.needs(territory="reg:84", audience="public") == ()
        assert [n.id for n in store.needs(audience="public")] == ["lma-ra:besoin"]


@given(st.text(alphabet=st.characters(codec="utf-8")))
def test_fold_is_casefold_then_nfkd_without_combining_marks(text: str) -> None:
    """fold()'s shortcuts (ASCII text lower-cased, combining marks dropped by one translate)
    give what its definition gives."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    assert fold(text) == "".join(c for c in decomposed if not unicodedata.combining(c))
