"""The ``sqlite`` exporter: a bundle as one SQLite file with the store's tables, for Datasette.

Datasette cannot hide rows, so each audience gets its own file: ``pmae export --to sqlite
--audience public`` goes through pmae's core like every exporter, so the bundle written here
has already been filtered (no non-public record, no personal data). The file has the tables of
a store (:mod:`pmae.store.schema`: collections, link tables, label tables, full text), so the
metadata of ``pmae db metadata`` fits it as it fits the store; its log and history tables stay
empty (they hold other audiences' records), and ``store_meta`` says which audience it is for.

Registered as a built-in plugin (``pmae.plugins.manager.BUILTIN_PLUGINS``), through the same
hook as the JSON and CSV formats.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any

import attrs
import orjson

from pmae.io.bundles import bundle_to_data
from pmae.model import COLLECTIONS, Bundle
from pmae.plugins.hookspecs import hookimpl
from pmae.plugins.items import ExportContext, Exporter
from pmae.store.connection import pmae_version
from pmae.store.derived import with_departements
from pmae.store.rows import put_rows, write_labels
from pmae.store.schema import MIGRATIONS, SCHEMA_VERSION
from pmae.territories import Territories, core_territories
from pmae.vocab import Vocabulary

__all__ = ["export_sqlite", "pmae_register_exporters", "write_database"]


@attrs.define(frozen=True)
class _Referentials:
    """The labels of an export: its context's vocabularies and territories."""

    vocabularies: Mapping[str, Vocabulary]
    territories: Territories


def write_database(bundle: Bundle, path: Path, *, audience: str,
                   vocabularies: Mapping[str, Vocabulary],
                   territories: Territories | None = None) -> None:
    """Write ``bundle`` (already filtered for ``audience``) as a new SQLite file at ``path``
    with the store's tables, labels filled from ``vocabularies`` and ``territories``."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        # A file to hand out and open read-only: a rollback journal, no WAL beside it.
        connection.execute("PRAGMA journal_mode = DELETE")
        connection.execute("BEGIN")
        for number in range(1, SCHEMA_VERSION + 1):
            for statement in MIGRATIONS[number]():
                connection.execute(statement)
        stamp = bundle.generated_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
        connection.executemany(
            "INSERT INTO store_meta (key, value) VALUES (?, ?)",
            [("schema_version", str(SCHEMA_VERSION)), ("pmae_version", pmae_version()),
             ("created_at", stamp), ("audience", audience), ("licence", bundle.licence)])
        data = bundle_to_data(bundle)
        places = territories if territories is not None else core_territories()
        written: list[tuple[str, dict[str, Any], str]] = [
            (name, with_departements(name, record, places), orjson.dumps(record).decode())
            for name in COLLECTIONS for record in data.get(name, ())]
        write_labels(connection, [(name, record) for name, record, _ in written],
                     _Referentials(vocabularies, places))
        for name in COLLECTIONS:
            put_rows(connection, name, [(record, text, None)
                                        for owner, record, text in written if owner == name])
        connection.execute("COMMIT")
        # Statistics for the query planner: Datasette's facets pick the covering indexes.
        connection.execute("ANALYZE")
    finally:
        connection.close()


def export_sqlite(bundle: Bundle, stream: IO[bytes], context: ExportContext) -> None:
    """The bundle as an SQLite file written to ``stream`` (built in a temporary folder)."""
    with tempfile.TemporaryDirectory(prefix="pmae-sqlite-") as folder:
        path = Path(folder) / "export.sqlite"
        write_database(bundle, path, audience=context.audience,
                       vocabularies=context.vocabularies, territories=context.territories)
        with path.open("rb") as built:
            shutil.copyfileobj(built, stream, 1 << 20)


@hookimpl
def pmae_register_exporters(register: Callable[[Exporter], None]) -> None:
    """``sqlite``: the store's tables in one file, for Datasette (one file per audience)."""
    register(Exporter(
        name="sqlite", title="Base SQLite (Datasette)", export=export_sqlite, suffix=".sqlite",
        description="The store's tables (labels, link tables, full-text search) in one SQLite "
                    "file for the audience, to open in Datasette with `pmae db metadata`."))
