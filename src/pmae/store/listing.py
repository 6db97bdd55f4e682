"""Listings of the store with combined filters: offers, actors, associations, needs.

Every filter narrows (AND); the values of one filter widen (OR: ``theme=("gepp", "rh")``).
Filters on list fields go through the link tables, the text through the full-text tables
(accents folded, each word a prefix: "formati" finds "Formation"), and territories apply
containment, in the direction each listing's question asks:

- offers and actors **serve** a place: ``territory="dep:38"`` finds those for ``dep:38``, for a
  territory containing it (``reg:84``, ``fr``) and nothing else, as orientation does: a commune
  finds the offers of its département and région;
- associations and needs **are** somewhere: ``territory="dep:38"`` finds those whose commune
  (a need's territory, else its association's commune) lies in ``dep:38``.

Containment comes from the session's territories. Records come back as model values, built with
the fast schema-checked path (they were validated when published), in the order they entered the
store; an audience filters them exactly as ``pmae dump --audience`` would.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Final

import orjson

from pmae.i18n import gettext as _
from pmae.io.audience import filter_bundle
from pmae.model import COLLECTIONS, Bundle, Source
from pmae.store.backend import Connection
from pmae.store.query import as_bundle, rows

if TYPE_CHECKING:
    import datetime as dt

    from pmae.territories import Territories

__all__ = ["FILTERS", "Filter", "ListingError", "filter_values", "listing"]

#: A listing filter: one value, several (any of them), or none.
Filter = Iterable[str] | str | None


def filter_values(value: Filter) -> tuple[str, ...]:
    """A filter's values, as a tuple (empty: no filter)."""
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)

#: Listing -> the filters it takes (besides ``text`` where it says so).
FILTERS: Final[dict[str, tuple[str, ...]]] = {
    "offers": ("theme", "stage", "territory", "type", "text", "date"),
    "actors": ("theme", "stage", "territory", "type", "text"),
    "associations": ("theme", "stage", "territory", "text"),
    "needs": ("theme", "stage", "territory", "association", "status"),
}

#: The references the audience filter follows from each listed collection: the records they
#: name are read too, so a record that needs a hidden one is left out as in a dump.
_REFERENCES: Final[dict[str, tuple[str, ...]]] = {
    "offers": ("actor",),
    "actors": ("networks",),
    "needs": ("association", "diagnosis"),
    "diagnoses": ("association",),
}


class ListingError(ValueError):
    """A filter that cannot be applied (an unknown territory, a filter the listing lacks)."""


def fold(text: str | None) -> str:
    """``text`` lower-cased without accents: "École" -> "ecole"."""
    if text is None:
        return ""
    if text.isascii():  # nothing to decompose (a million names at national scale)
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    if decomposed.isascii() or max(decomposed) <= "\uffff":
        return decomposed.translate(_combining())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@functools.cache
def _combining() -> dict[int, None]:
    """The combining characters of Unicode's first plane, for ``str.translate`` to drop."""
    return {point: None for point in range(0x10000) if unicodedata.combining(chr(point))}


def _marks(values: Sequence[Any]) -> str:
    return ", ".join("?" * len(values))


def _match(text: str) -> str:
    """An FTS5 query: every word, as a prefix, quoted (so no word is read as syntax)."""
    words = [w for w in text.split() if w]
    return " ".join('"' + word.replace('"', '""') + '"*' for word in words)


def _serving(territories: Territories, codes: Iterable[str]) -> list[str]:
    """The given territories and every territory containing one of them."""
    found: set[str] = set()
    for code in codes:
        try:
            found |= {code, *territories.ancestors(code)}
        except ValueError as error:
            raise ListingError(_("territory {code!r}: {reason}").format(
                code=code, reason=error)) from None
    return sorted(found)


def _inside(connection: Connection, territories: Territories,
            codes: Sequence[str]) -> list[str]:
    """The territories the store's records name (its ``territories`` label table: a few
    thousand rows, not a scan of the records) that lie in one of ``codes``."""
    for code in codes:
        if not territories.exists(code):
            raise ListingError(_("territory {code!r} is not a known territory (write it with "
                                 "its level: com:38185, dep:38, reg:84, fr)").format(code=code))
    found = []
    for (value,) in connection.execute("SELECT code FROM territories"):
        try:
            if any(territories.contains(code, value) for code in codes):
                found.append(value)
        except ValueError:  # a code the referential no longer knows lies nowhere
            continue
    return found


def _conditions(connection: Connection, territories: Territories, listing: str,
                filters: dict[str, tuple[str, ...]]) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    parameters: list[Any] = []

    def add(condition: str, values: Sequence[Any]) -> None:
        where.append(condition)
        parameters.extend(values)

    themes, stages = filters.get("theme", ()), filters.get("stage", ())
    places, types = filters.get("territory", ()), filters.get("type", ())
    if listing in ("offers", "actors"):
        offer_where = [f"rowid IN (SELECT record FROM offers_{field} WHERE code IN "
                       f"({_marks(values)}))"
                       for field, values in (("themes", themes), ("stages", stages)) if values]
        offer_values = [*themes, *stages]
        if listing == "offers":
            for condition in offer_where:
                where.append(condition)
            parameters.extend(offer_values)
        elif offer_where:
            add(f"id IN (SELECT actor FROM offers WHERE {' AND '.join(offer_where)})",
                offer_values)
        if places:
            served = _serving(territories, places)
            add(f"rowid IN (SELECT record FROM {listing}_territories WHERE code IN "
                f"({_marks(served)}))", served)
        if types:
            add(f"actor IN (SELECT id FROM actors WHERE actor_type IN ({_marks(types)}))"
                if listing == "offers" else f"actor_type IN ({_marks(types)})", types)
        if filters.get("date"):
            # In force that day, as coverage and orientation count them (ISO dates compare
            # as text).
            day = str(filters["date"][0])
            add("(valid_from IS NULL OR valid_from <= ?) AND "
                "(valid_until IS NULL OR valid_until >= ?)", [day, day])
        if filters.get("text"):
            add(f"rowid IN (SELECT rowid FROM {listing}_fts WHERE {listing}_fts MATCH ?)",
                [" OR ".join(f"({_match(t)})" for t in filters["text"])])
        return where, parameters
    for field, values in (("theme", themes), ("stage", stages)):
        if values:
            # From an association, its needs through the needs_association index.
            add(f"{field} IN ({_marks(values)})" if listing == "needs" else
                f"EXISTS (SELECT 1 FROM needs WHERE needs.association = associations.id "
                f"AND needs.{field} IN ({_marks(values)}))", values)
    if places:
        # One JSON parameter, however many communes lie in the place (SQLite caps the
        # number of parameters of a statement).
        inside = orjson.dumps(_inside(connection, territories, places)).decode()
        if listing == "associations":
            add("commune IN (SELECT value FROM json_each(?))", [inside])
        else:
            add("(territory IN (SELECT value FROM json_each(?)) OR (territory IS NULL AND "
                "association IN (SELECT id FROM associations WHERE commune IN "
                "(SELECT value FROM json_each(?)))))", [inside, inside])
    if filters.get("association"):
        add(f"association IN ({_marks(filters['association'])})", filters["association"])
    if filters.get("status"):
        add(f"status IN ({_marks(filters['status'])})", filters["status"])
    if filters.get("text"):
        add("rowid IN (SELECT rowid FROM associations_fts WHERE associations_fts MATCH ?)",
            [" OR ".join(f"({_match(t)})" for t in filters["text"])])
    return where, parameters


def _referenced(connection: Connection, collection: str,
                records: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The records ``records`` name in the fields the audience filter follows, by collection,
    and those they name in turn."""
    found: dict[str, list[dict[str, Any]]] = {}
    seen = {record["id"] for record in records}
    pending = [(collection, record) for record in records]
    while pending:
        ids: set[str] = set()
        for owner, record in pending:
            for field in _REFERENCES.get(owner, ()):
                value = record.get(field)
                ids.update([value] if isinstance(value, str) else value or ())
        ids -= seen
        seen |= ids
        pending = []
        if not ids:
            break
        chosen = sorted(ids)
        for name in COLLECTIONS:
            for record in rows(connection, name, f"id IN ({_marks(chosen)})", chosen):
                found.setdefault(name, []).append(record)
                pending.append((name, record))
    return found


def listing(connection: Connection, territories: Territories, collection: str, *,
            audience: str = "all", limit: int | None = None, source: Source,
            generated_at: dt.datetime, **filters: Iterable[str]) -> Bundle:
    """The records of ``collection`` (offers, actors, associations, needs) that pass every
    filter, for ``audience``, as a bundle holding them (and nothing else).

    :param filters: the filters of :data:`FILTERS` for this listing, each one value or several.
    :raises ListingError: a filter this listing does not take, or an unknown territory.
    """
    if collection not in FILTERS:
        raise ListingError(_("no listing of {collection!r}: choose among {known}").format(
            collection=collection, known=", ".join(FILTERS)))
    chosen = {name: (values,) if isinstance(values, str) else tuple(values)
              for name, values in filters.items() if values}
    unknown = sorted(set(chosen) - set(FILTERS[collection]))
    if unknown:
        raise ListingError(_("the {collection} listing has no filter {unknown}; it takes "
                             "{known}").format(collection=collection, unknown=", ".join(unknown),
                                               known=", ".join(FILTERS[collection])))
    where, parameters = _conditions(connection, territories, collection, chosen)
    found = rows(connection, collection, " AND ".join(where), parameters)
    records = {collection: found}
    if audience != "all":
        for name, extra in _referenced(connection, collection, found).items():
            records[name] = records.get(name, []) + extra
    bundle = as_bundle(records, source=source, generated_at=generated_at)
    if audience != "all":
        listed = {record["id"] for record in found}  # not the records only read to filter
        # A need found through its association's commune is no longer there when the
        # audience may not see that association: its place would tell where the hidden
        # association is.
        placed_by_association = collection == "needs" and "territory" in chosen
        kept = tuple(r for r in getattr(filter_bundle(bundle, audience), collection)
                     if r.id in listed and not (placed_by_association and r.territory is None
                                                and r.association is None))
        bundle = bundle.with_collections({name: () for name in COLLECTIONS} | {collection: kept})
    if limit is not None:
        bundle = bundle.with_collections({collection: getattr(bundle, collection)[:limit]})
    return bundle
