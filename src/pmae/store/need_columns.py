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

The filter is the database's: a record's ``visibility`` column is the visibility it names
(``public`` when it names none, and a need without one is ``restricted``: kept either way), so
``visibility <> 'private'`` keeps exactly the needs :func:`shareable_needs` keeps; the rows the
connection's role may not read are not returned, as for any read.
"""

from __future__ import annotations

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


def shareable_need_columns(connection: Connection) -> dict[str, Sequence[Any]]:
    """Each of :data:`NEED_FIELDS` of every need the connection may read that is not
    private, as one sequence per field (the same need at the same position in each)."""
    day, number = _Parsed(as_date), _Parsed(orjson.loads)
    cursor = connection.execute(
        "SELECT id, association, theme, territory, date, intensity, size_band, sector "
        "FROM needs WHERE visibility <> 'private' ORDER BY rowid")
    # The cycle collector paused: the values are millions of new objects.
    with gc_paused():
        # Transposed a chunk of rows at a time, in C: the rows of a million needs held at
        # once, beside their columns, weighed a hundred MB more.
        columns: list[list[Any]] = [[] for _ in NEED_FIELDS]
        for rows in iter(partial(cursor.fetchmany, _CHUNK), []):
            for column, values in zip(columns, zip(*rows, strict=True), strict=True):
                column.extend(values)
        # Each distinct text parsed once (a few thousand dates, a few intensities).
        for field, parsed in (("date", day), ("intensity", number)):
            at = NEED_FIELDS.index(field)
            columns[at] = list(map(parsed.__getitem__, columns[at]))
    return dict(zip(NEED_FIELDS, columns, strict=True))
