"""Reading a store: the bundle it holds (for an audience), its log and each record's history."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

import attrs
import orjson

from pmae.i18n import gettext as _
from pmae.io.audience import filter_bundle
from pmae.io.converter import structure_schema_checked, unstructure
from pmae.model import COLLECTIONS, Bundle, Provenance, Source
from pmae.store.backend import Connection
from pmae.store.publish import Changes
from pmae.store.query import as_bundle, live_bundles, rows, store_time
from pmae.store.schema import quote

__all__ = [
    "LicenceError",
    "Publication",
    "PublishedBundle",
    "Version",
    "counts",
    "dump",
    "history",
    "licences_of",
    "log",
    "record",
]


class LicenceError(ValueError):
    """The bundles the store holds are published under different licences: say which one."""


@attrs.define(kw_only=True, frozen=True)
class PublishedBundle:
    """One bundle of a publication: its file, digest, publisher and the sources it carried."""

    file: str | None
    sha256: str
    source: str
    generated_at: str
    records: int
    sources: tuple[str, ...]


@attrs.define(kw_only=True, frozen=True)
class Publication:
    """One entry of the log: when, by which pmae, its bundles and what it changed."""

    number: int
    published_at: str
    pmae_version: str
    changes: Changes
    bundles: tuple[PublishedBundle, ...]

    def to_dict(self) -> dict[str, Any]:
        """As JSON-ready data."""
        return attrs.asdict(self, recurse=True)


@attrs.define(kw_only=True, frozen=True)
class Version:
    """One version of a record: the publication that brought it, and the record as published
    (JSON text; ``None`` for a withdrawal)."""

    publication: int
    published_at: str
    collection: str
    change: str
    record: str | None

    def to_dict(self) -> dict[str, Any]:
        """As JSON-ready data (the record parsed)."""
        data = attrs.asdict(self)
        data["record"] = orjson.loads(self.record) if self.record is not None else None
        return data


def licences_of(live: list[tuple[dict[str, Any], str | None, int]] | Connection
                ) -> list[str]:
    """The licences of the live bundles (those :func:`dump` reads), sorted."""
    if not isinstance(live, list):
        live = live_bundles(live)
    return sorted({envelope.get("licence", "etalab-2.0") for envelope, _, _ in live})


def dump(connection: Connection, *, audience: str = "all", source: Source,
         generated_at: dt.datetime | None = None, licence: str | None = None,
         collections: Iterable[str] | None = None,
         progress: Callable[[int], None] | None = None) -> Bundle:
    """The records of the store as one bundle for ``audience``, as ``pmae merge`` of the
    bundles published last for each source would write it: records in the order they entered
    the store, the provenance of each live bundle (its own entry, then its provenance).

    :param generated_at: the bundle's date; by default the date of the store's data (the
        latest ``generated_at`` of the bundles it holds: :func:`pmae.store.query.store_time`),
        so an unchanged store always dumps the same.
    :param collections: read only these collections (the others are left empty): for an
        analysis that looks at a few of them.
    :param progress: called with the number of records read, as they are.
    :raises LicenceError: when the live bundles' licences differ and ``licence`` is not given.
    """
    live = live_bundles(connection)
    licences = licences_of(live)
    if licence is None and len(licences) > 1:
        raise LicenceError(_(
            "the published bundles have different licences ({licences}): say which one the "
            "dump is published under").format(licences=", ".join(licences)))
    provenance: list[dict[str, Any]] = []
    for envelope, file, records in live:
        own = {"source": envelope["source"], "generated_at": envelope["generated_at"],
               "file": file, "records": records}
        for entry in [own, *envelope.get("provenance", ())]:
            entry = unstructure(structure_schema_checked(entry, Provenance))
            if entry not in provenance:
                provenance.append(entry)
    wanted = COLLECTIONS if collections is None else tuple(collections)
    bundle = as_bundle(
        {name: rows(connection, name, progress=progress) for name in wanted}, source=source,
        generated_at=(generated_at or store_time(connection)
                      or dt.datetime.now(dt.UTC).replace(microsecond=0)),
        licence=licence or (licences[0] if licences else "etalab-2.0"), provenance=provenance)
    # For `all` every record is visible: the filter would give the bundle back, at a cost.
    return bundle if audience == "all" else filter_bundle(bundle, audience)


def log(connection: Connection) -> list[Publication]:
    """Every publication, the first first."""
    bundles: dict[int, list[PublishedBundle]] = {}
    sources: dict[tuple[int, int], list[str]] = {}
    for publication, position, source in connection.execute(
            "SELECT publication, position, source FROM publication_sources "
            "ORDER BY publication, position, source"):
        sources.setdefault((publication, position), []).append(source)
    for publication, position, file, sha256, source, generated_at, records in connection.execute(
            "SELECT publication, position, file, sha256, source, generated_at, records "
            "FROM publication_bundles ORDER BY publication, position"):
        bundles.setdefault(publication, []).append(PublishedBundle(
            file=file, sha256=sha256, source=source, generated_at=generated_at,
            records=records, sources=tuple(sources.get((publication, position), ()))))
    return [
        Publication(number=number, published_at=at, pmae_version=version,
                    changes=Changes(added=added, changed=changed, unchanged=unchanged,
                                    withdrawn=withdrawn),
                    bundles=tuple(bundles.get(number, ())))
        for number, at, version, added, changed, unchanged, withdrawn in connection.execute(
            "SELECT number, published_at, pmae_version, added, changed, unchanged, withdrawn "
            "FROM publications ORDER BY number")
    ]


def history(connection: Connection, record_id: str) -> list[Version]:
    """Every version of the record ``record_id``, the first first (empty: never published)."""
    return [
        Version(publication=publication, published_at=at, collection=collection,
                change=change, record=text)
        for publication, at, collection, change, text in connection.execute(
            "SELECT v.publication, p.published_at, v.collection, v.change, v.record "
            "FROM versions AS v JOIN publications AS p ON p.number = v.publication "
            "WHERE v.id = ? ORDER BY v.number", (record_id,))
    ]


def record(connection: Connection, record_id: str) -> tuple[str, str] | None:
    """The collection and JSON text of the current record ``record_id``, or ``None``."""
    for collection in COLLECTIONS:
        row = connection.execute(f"SELECT record FROM {quote(collection)} WHERE id = ?",
                                 (record_id,)).fetchone()
        if row is not None:
            return collection, str(row[0])
    return None


def counts(connection: Connection) -> dict[str, int]:
    """How many records each collection holds (that the connection's role may read)."""
    return {name: connection.execute(f"SELECT count(*) FROM {quote(name)}").fetchone()[0]
            for name in COLLECTIONS}
