"""The shareable needs of the store as columns: what the shared diagnosis reads, and nothing
per need but the values themselves.

``pmae needs --db`` protects every need that is not private
(:func:`pmae.analysis.shared_diagnosis.shareable_needs`), reading eight of their fields
(:data:`pmae.analysis.shared_diagnosis.columns.FIELDS`). A light row per need
(:func:`pmae.store.light.needs`) cost a named tuple per need at national scale; here each field
is read straight into a list of its values, in the order the needs entered the store (the order
of the bundle they came from), with the model's values: dates as :class:`datetime.date`, an
intensity as the record has it (``int`` or ``float``: its column holds the number's JSON text,
schema version 8), ``None`` where a field is absent. Every field comes from its column: no
record's JSON is read.

On SQLite each column comes as ONE text, a JSON array its values are written into by SQLite
(``json_group_array``) and read from by :mod:`orjson`, both in C: a row per need cost a tuple
and eight objects made one by one by the driver, then a transposition (a million needs: 2.2 s
of CPU against 1.2 s, the dates included). JSON writes any text whole (a separator joining the
values could occur in an id, which is free text) and ``NULL`` as ``null``. All eight arrays
come from one aggregate over one scan, so the same need is at the same position in each; the
scan is in ``rowid`` order, which the query's plan is checked to show (else, and on
PostgreSQL, the columns are read row by row, ordered by ``rowid``).

The filter is the database's: a record's ``visibility`` column is the visibility it names
(``public`` when it names none, and a need without one is ``restricted``: kept either way), so
``visibility <> 'private'`` keeps exactly the needs :func:`shareable_needs` keeps; the rows the
connection's role may not read are not returned, as for any read.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from functools import partial
from typing import Any, Final

import orjson

from pmae.io.pipeline import _gc_paused as gc_paused
from pmae.model.fields import date as as_date
from pmae.store.backend import Connection
from pmae.store.light import _Parsed

__all__ = ["NEED_FIELDS", "shareable_need_columns"]

#: The columns read, in this order (those of the shared diagnosis's ``NeedColumns``).
NEED_FIELDS: Final = ("id", "association", "theme", "territory", "date", "intensity",
                      "size_band", "sector")
_CHUNK: Final = 1 << 16
_SHAREABLE: Final = "FROM needs WHERE visibility <> 'private'"
#: One aggregate, so one scan feeds every array, need by need.
_ARRAYS: Final = (f"SELECT {', '.join(f'json_group_array({field})' for field in NEED_FIELDS)} "
                  f"{_SHAREABLE}")


def shareable_need_columns(connection: Connection) -> dict[str, Sequence[Any]]:
    """Each of :data:`NEED_FIELDS` of every need the connection may read that is not
    private, as one sequence per field (the same need at the same position in each)."""
    columns = _arrays(connection) if isinstance(connection, sqlite3.Connection) else None
    if columns is None:
        columns = _rows(connection)
    # Each distinct text parsed once (a few thousand dates, a few intensities).
    day, number = _Parsed(as_date), _Parsed(orjson.loads)
    for field, parsed in (("date", day), ("intensity", number)):
        at = NEED_FIELDS.index(field)
        columns[at] = list(map(parsed.__getitem__, columns[at]))
    return dict(zip(NEED_FIELDS, columns, strict=True))


def _arrays(connection: sqlite3.Connection) -> list[list[Any]] | None:
    """The columns read as one JSON array each (see the module's docstring), or ``None`` when
    the scan would not be in ``rowid`` order or this SQLite has no JSON functions."""
    try:
        if connection.execute("PRAGMA reverse_unordered_selects").fetchone()[0]:
            return None
        plan = [row[-1] for row in connection.execute(f"EXPLAIN QUERY PLAN {_ARRAYS}")]
        if plan != ["SCAN needs"]:  # not a plain scan of the table by rowid
            return None
        arrays = connection.execute(_ARRAYS).fetchone()
    except sqlite3.OperationalError:  # pragma: no cover - an SQLite built without JSON
        return None
    return [orjson.loads(array) for array in arrays]


def _rows(connection: Connection) -> list[list[Any]]:
    """The columns read row by row, ordered by ``rowid``."""
    cursor = connection.execute(f"SELECT {', '.join(NEED_FIELDS)} {_SHAREABLE} ORDER BY rowid")
    # The cycle collector paused: the values are millions of new objects.
    with gc_paused():
        # Transposed a chunk of rows at a time, in C: the rows of a million needs held at
        # once, beside their columns, weighed a hundred MB more.
        columns: list[list[Any]] = [[] for _ in NEED_FIELDS]
        for rows in iter(partial(cursor.fetchmany, _CHUNK), []):
            for column, values in zip(columns, zip(*rows, strict=True), strict=True):
                column.extend(values)
    return columns
