"""The label tables of a PostgreSQL store (vocabularies' terms, territories): the
administrator's, read-only for the networks.

A label is shared by every network: were the networks' roles allowed to write the label
tables, one of them could rewrite a label for all. So the networks only read them
(:func:`pmae.store.pg_roles.grants`), a network's publication writes none
(:func:`pmae.store.rows.write_labels` skips them when the connection may not), and the
administrator fills them: its own publications, as on SQLite, and :func:`fill_labels`, run by
``pmae db upgrade`` and ``pmae db add-network``, which writes every term of the session's
vocabularies and the labels of every code the store's records use (territories with their
ancestors). A network's publication whose records use codes the tables lack is published whole
(PostgreSQL declares no foreign key on records); the result carries a note
(:func:`unlabelled`) saying what the administrator runs.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Final

from pmae.issues import Issue
from pmae.store.rows import Labels
from pmae.store.schema import COLUMNS, DEPARTEMENTS, LINKS, VOCABULARY_TABLES, link_table, quote

if TYPE_CHECKING:
    from pmae.store.backend import Connection
    from pmae.store.rows import Referentials

__all__ = ["LABEL_TABLES", "fill_labels", "unlabelled", "unlabelled_note"]

#: The label tables: the administrator's, read-only for the networks.
LABEL_TABLES: Final = ("territories", *VOCABULARY_TABLES)


def _labelled() -> Iterable[tuple[str, str, str, str]]:
    """(collection, field, table holding the codes, label table) of every labelled field:
    a column of the collection's table, or the ``code`` of a link table."""
    for collection, columns in COLUMNS.items():
        for name, table in columns:
            if table:
                yield collection, name, quote(collection), table
    for (collection, field), table in LINKS.items():
        if table:
            yield collection, field, quote(link_table(collection, field)), table
    for collection in DEPARTEMENTS:
        yield collection, "departements", quote(link_table(collection, "departements")), \
            "territories"


def _column(field: str, holder: str, collection: str) -> str:
    return quote(field) if holder == quote(collection) else "code"


def fill_labels(connection: Connection, session: Referentials) -> None:
    """As the administrator, inside a transaction: every term of the session's vocabularies
    (labels refreshed), and the labels of every code the store's records use (territories
    with their ancestors): what the networks' publications did not write."""
    labels = Labels(connection, session)
    used: list[tuple[str, dict[str, Any]]] = []
    for collection, field, holder, _ in _labelled():
        codes = [code for (code,) in connection.execute(
            f"SELECT DISTINCT {_column(field, holder, collection)} FROM {holder}")
            if code is not None]
        # Labels.add reads records: one record per code of a single field, one for a list.
        used += ([(collection, {field: code}) for code in codes] if holder == quote(collection)
                 else [(collection, {field: codes})] if codes else [])
    labels.add(used)


def unlabelled(connection: Connection, sources: Iterable[str]) -> dict[str, list[str]]:
    """Label table -> the codes the records of ``sources`` use that it lacks.

    One scan of each table holding codes, a collection's labelled columns grouped together
    (``GROUPING SETS``), then the codes found looked up in their label tables: a scan per
    column and an anti-join per row were a tenth of a network's publication."""
    wanted = sorted(sources)
    if not wanted:
        return {}
    held: dict[str, list[tuple[str, str, str]]] = {}
    for collection, field, holder, table in _labelled():
        held.setdefault(holder, []).append((collection, _column(field, holder, collection),
                                            table))
    marks = ", ".join("?" * len(wanted))
    used: dict[str, set[str]] = {}
    for holder, columns in held.items():
        collection = columns[0][0]
        if holder == quote(collection):
            names = [f"h.{column}" for _, column, _ in columns]
            sql = (f"SELECT {', '.join(names)} FROM {holder} AS h WHERE h.source IN ({marks}) "
                   f"GROUP BY GROUPING SETS ({', '.join(f'({name})' for name in names)})")
        else:
            sql = (f"SELECT DISTINCT h.code FROM {holder} AS h WHERE h.record IN "
                   f"(SELECT rowid FROM {quote(collection)} WHERE source IN ({marks}))")
        for row in connection.execute(sql, wanted):
            for (_, _, table), code in zip(columns, row, strict=True):
                if code is not None:
                    used.setdefault(table, set()).add(code)
    missing: dict[str, list[str]] = {}
    for table, codes in sorted(used.items()):
        found = sorted(code for (code,) in connection.execute(
            f"SELECT u.code FROM unnest(?::text[]) AS u(code) WHERE NOT EXISTS "
            f"(SELECT 1 FROM {quote(table)} AS l WHERE l.code = u.code)", (sorted(codes),)))
        if found:
            missing[table] = found
    return missing


def unlabelled_note(missing: dict[str, list[str]]) -> Issue | None:
    """The note of a network's publication whose records use codes the label tables lack."""
    if not missing:
        return None
    shown = "; ".join(f"{table}: {', '.join(codes[:5])}" + (" …" if len(codes) > 5 else "")
                      for table, codes in missing.items())
    return Issue(
        code="store-labels-missing", severity="info",
        message=f"published, but the store's label tables lack codes its records use "
                f"({shown}); a network does not write labels",
        hint="ask the store's administrator to run `pmae db upgrade --db ADMIN_URL` (with the "
             "plugins that bring these vocabularies): it fills them")
