"""Reading the store for analyses: the whole bundle, or just what orienting one target needs.

Records read back here were validated when they were published (that is what a store is for):
they are turned into model values with the schema-checked fast path
(:func:`pmae.io.converter.structure_schema_checked`), never validated again.

Orienting one association (or one need, or a theme and a commune) reads only what
:class:`pmae.analysis.offer_index.OfferIndex` looks at for it: the target, its diagnoses (the
alerts), its needs and their referrals (first contact or not), the offers filed under its
commune or a territory containing it (through ``offers_territories``, with the theme through
``offers_themes``), and their actors. The index built on that bundle ranks exactly as the one
built on the whole store, since every other offer is one it would never look at.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import orjson

from pmae.io.converter import structure_schema_checked, unstructure
from pmae.model import COLLECTIONS, Bundle, Source
from pmae.store.backend import Connection
from pmae.store.schema import quote

if TYPE_CHECKING:
    from pmae.territories import Territories

__all__ = ["as_bundle", "live_bundles", "orientation_records", "rows", "store_time"]


def live_bundles(connection: Connection) -> list[tuple[dict[str, Any], str | None,
                                                                 int]]:
    """(envelope, file, records) of every bundle still the latest publication of one of the
    sources it carried, in the order they were published."""
    found = connection.execute(
        "SELECT b.envelope, b.file, b.records FROM publication_bundles AS b "
        "WHERE EXISTS (SELECT 1 FROM publication_sources AS p JOIN sources AS s "
        "ON s.slug = p.source AND s.publication = p.publication "
        "WHERE p.publication = b.publication AND p.position = b.position) "
        "ORDER BY b.publication, b.position")
    return [(orjson.loads(envelope), file, records) for envelope, file, records in found]


def store_time(connection: Connection) -> dt.datetime | None:
    """The date of the store's data: the latest ``generated_at`` of the bundles it holds
    (``None`` before any publication).

    It is the ``generated_at`` of what is read from the store, so the default reference date
    of every analysis is the data's, as for a bundle (a store holding one published bundle
    answers as that bundle does), and two dumps of an unchanged store are the same bundle.
    """
    dates = [dt.datetime.fromisoformat(envelope["generated_at"].replace("Z", "+00:00"))
             for envelope, _, _ in live_bundles(connection)]
    return max(dates) if dates else None


def rows(connection: Connection, collection: str, where: str = "",
         parameters: Sequence[Any] = (), *,
         progress: Callable[[int], None] | None = None) -> list[dict[str, Any]]:
    """The records (parsed JSON) of ``collection`` matching ``where`` (SQL on the table's
    columns, ``rowid`` included), in the order they entered the store.

    :param progress: called with the number of records read, as they are (a progress bar).
    """
    clause = f" WHERE {where}" if where else ""
    cursor = connection.execute(
        f"SELECT record FROM {quote(collection)}{clause} ORDER BY rowid", parameters)
    if progress is None:
        return [orjson.loads(text) for (text,) in cursor]
    found: list[dict[str, Any]] = []
    while batch := cursor.fetchmany(10_000):
        found += [orjson.loads(text) for (text,) in batch]
        progress(len(batch))
    return found


def as_bundle(records: dict[str, list[dict[str, Any]]], *, source: Source,
              generated_at: dt.datetime, licence: str = "etalab-2.0",
              provenance: Iterable[dict[str, Any]] = ()) -> Bundle:
    """Records read from the store (parsed JSON, by collection) as a :class:`Bundle`.

    Every record was validated on its way in, and the envelope is built from model values,
    so the fast, schema-checked structuring applies.
    """
    document: dict[str, Any] = {
        "source": unstructure(source), "generated_at": unstructure(generated_at),
        "licence": licence, "provenance": list(provenance),
    }
    for collection in COLLECTIONS:
        document[collection] = records.get(collection, [])
    return structure_schema_checked(document, Bundle)


def _marks(values: Sequence[Any]) -> str:
    return ", ".join("?" * len(values))


def orientation_records(connection: Connection, territories: Territories, *,
                        association: str | None = None, need: str | None = None,
                        commune: str | None = None, theme: str | None = None,
                        ) -> dict[str, list[dict[str, Any]]]:
    """What orienting one association, one need, or a theme and a commune needs, by
    collection (see the module's docstring). An unknown association or need is simply
    absent: the index then says so as it does for a bundle."""
    found: dict[str, list[dict[str, Any]]] = {name: [] for name in COLLECTIONS}
    if need is not None:
        found["needs"] = rows(connection, "needs", "id = ?", (need,))
        if found["needs"]:
            target = found["needs"][0]
            association = target.get("association")
            theme = target.get("theme")
            commune = target.get("territory")
            if target.get("diagnosis"):
                found["diagnoses"] = rows(connection, "diagnoses", "id = ?",
                                          (target["diagnosis"],))
            if association is None:
                found["referrals"] = rows(connection, "referrals", "need = ?", (need,))
    if association is not None:
        found["associations"] = rows(connection, "associations", "id = ?", (association,))
        if found["associations"]:
            commune = commune or found["associations"][0].get("commune")
        known = {d["id"] for d in found["diagnoses"]}
        found["diagnoses"] += [d for d in rows(connection, "diagnoses", "association = ?",
                                               (association,)) if d["id"] not in known]
        found["needs"] = rows(connection, "needs", "association = ?", (association,)) or \
            found["needs"]
        found["referrals"] = rows(
            connection, "referrals",
            "need IN (SELECT id FROM needs WHERE association = ?)", (association,))
    if commune is None:
        return found
    codes = [commune]
    # An unknown commune: the index reports it as it does for a bundle.
    with contextlib.suppress(ValueError):
        codes += sorted(territories.ancestors(commune))
    where = f"rowid IN (SELECT record FROM offers_territories WHERE code IN ({_marks(codes)}))"
    parameters: list[Any] = list(codes)
    if theme is not None:
        where += " AND rowid IN (SELECT record FROM offers_themes WHERE code = ?)"
        parameters.append(theme)
    found["offers"] = rows(connection, "offers", where, parameters)
    actors = orjson.dumps(sorted({offer["actor"] for offer in found["offers"]})).decode()
    # One JSON parameter, however many actors (SQLite caps the parameters of a statement).
    found["actors"] = rows(connection, "actors", "id IN (SELECT value FROM json_each(?))",
                           (actors,))
    return found
