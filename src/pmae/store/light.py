"""Light reads: the few fields of a whole collection that coverage and the shared diagnosis
look at, read column by column.

Coverage (:func:`pmae.analysis.coverage.coverage`, with the complementarity graph) and the
shared diagnosis (:func:`pmae.analysis.shared_diagnosis.protect`) go through every offer,
actor or need but read a handful of their fields. Parsing each record's JSON and structuring it
into a model value (a million needs at national scale) was most of what answering them from
the store cost. Here each field comes from its indexed column (:data:`pmae.store.schema.COLUMNS`),
or, for the few without one, from the record's JSON by the database itself (``json_extract`` on
SQLite, the generated JSONB column ``data`` on PostgreSQL), and each record becomes a named
tuple whose attributes carry the model's names, values and defaults: dates as
:class:`datetime.date`, lists as tuples in the record's order, a missing field as the model's
default. ``tests/test_store_light.py`` compares every attribute with the model's, record by
record, on the sample and random bundles. Coverage, which only counts needs per territory,
theme and stage, reads them counted by the database (:func:`need_counts`).

Visibility is the database's business, as for every read: the rows the connection's role may
not read are not returned (PostgreSQL's row-level security applies to these statements as to
any other), and each row carries its visibility for the analyses that filter on it.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

import attrs
import orjson

from pmae.io.pipeline import _gc_paused as gc_paused
from pmae.model import Need
from pmae.model.fields import date as as_date
from pmae.store.backend import Connection
from pmae.store.schema import NEED_CELL_INDEX
from pmae.territories import TerritoryError

if TYPE_CHECKING:
    from pmae.territories import Territories

__all__ = ["LIGHT_COLLECTIONS", "LightActor", "LightBundle", "LightNeed", "LightOffer",
           "NeedCount", "read"]


class LightActor(NamedTuple):
    """What coverage's grid and the complementarity graph read of an actor."""

    id: str
    name: str
    actor_type: str
    territories: tuple[str, ...]


class LightOffer(NamedTuple):
    """What coverage reads of an offer: where, what, at which stages, by whom, when."""

    id: str
    actor: str
    territories: tuple[str, ...]
    themes: tuple[str, ...]
    stages: tuple[str, ...]
    valid_from: dt.date | None
    valid_until: dt.date | None


class LightNeed(NamedTuple):
    """What coverage and the shared diagnosis (its protection) read of a need."""

    id: str
    association: str | None
    theme: str
    stage: str | None
    territory: str | None
    date: dt.date
    size_band: str | None
    sector: str | None
    intensity: float | None
    visibility: str


class NeedCount(NamedTuple):
    """How many needs the connection may read have this territory, theme and stage: all that
    coverage reads of the needs (``territory`` and ``stage`` ``None`` when they name none)."""

    territory: str | None
    theme: str
    stage: str | None
    #: How many (``count`` is the tuple's method).
    needs: int


@attrs.define(frozen=True, kw_only=True)
class LightBundle:
    """The light rows of the collections read (the others empty), with the data's date;
    ``need_counts`` when the needs were read counted (see :func:`need_counts`)."""

    generated_at: dt.datetime
    actors: tuple[LightActor, ...] = ()
    offers: tuple[LightOffer, ...] = ()
    needs: tuple[LightNeed, ...] = ()
    need_counts: tuple[NeedCount, ...] | None = None


#: The collections that have light rows.
LIGHT_COLLECTIONS = ("actors", "offers", "needs")
#: What :func:`read` reads: the light rows' collections, and ``need_counts``.
READABLE = (*LIGHT_COLLECTIONS, "need_counts")

#: A need's visibility when its record names none (the model's default, not the column's).
_NEED_VISIBILITY = str(attrs.fields(Need).visibility.default)


def _sqlite(connection: Connection) -> bool:
    return isinstance(connection, sqlite3.Connection)


def _json(connection: Connection, field: str) -> str:
    """SQL: ``field`` of the record as JSON text, as the record has it (``NULL`` when
    absent): a number's own digits, never a double's rendering."""
    if not _sqlite(connection):
        return f"(data -> '{field}')::text"
    if sqlite3.sqlite_version_info >= (3, 38):
        return f"(record -> '$.{field}')"
    return f"json_quote(json_extract(record, '$.{field}'))"  # pragma: no cover - old SQLite


def _text(connection: Connection, field: str) -> str:
    """SQL: the text ``field`` of the record (``NULL`` when absent)."""
    if _sqlite(connection):
        return f"json_extract(record, '$.{field}')"
    return f"(data ->> '{field}')"


class _Parsed(dict[Any, Any]):
    """Each distinct text parsed once, by ``parse``; ``NULL`` (``None``) is ``missing``."""

    def __init__(self, parse: Callable[[str], Any], missing: Any = None) -> None:
        super().__init__({None: missing})
        self.parse = parse

    def __missing__(self, text: str) -> Any:
        value = self[text] = self.parse(text)
        return value


def _codes(text: str) -> tuple[str, ...]:
    return tuple(orjson.loads(text))


#: A named tuple made from a tuple of its values, in C (a call of the class runs Python).
_new = tuple.__new__


def actors(connection: Connection) -> list[LightActor]:
    """Every actor the connection may read, in the order they entered the store."""
    lists = _Parsed(_codes, ())
    cursor = connection.execute(
        f"SELECT id, name, actor_type, {_json(connection, 'territories')} FROM actors "
        "ORDER BY rowid")
    return [_new(LightActor, (i, name, kind, lists[places]))
            for i, name, kind, places in cursor]


def offers(connection: Connection) -> list[LightOffer]:
    """Every offer the connection may read, in the order they entered the store."""
    lists, day = _Parsed(_codes, ()), _Parsed(as_date)
    cursor = connection.execute(
        f"SELECT id, actor, {', '.join(_json(connection, f) for f in LIST_FIELDS)}, "
        "valid_from, valid_until FROM offers ORDER BY rowid")
    return [_new(LightOffer, (i, actor, lists[places], lists[themes], lists[stages],
                              day[start], day[end]))
            for i, actor, places, themes, stages, start, end in cursor]


#: The list fields of an offer that coverage reads.
LIST_FIELDS = ("territories", "themes", "stages")


def needs(connection: Connection) -> list[LightNeed]:
    """Every need the connection may read, in the order they entered the store."""
    day, number = _Parsed(as_date), _Parsed(orjson.loads)
    # The column says "public" for a record without visibility, the model's default for a
    # need is another: the record tells which (read only for the public ones).
    cursor = connection.execute(
        "SELECT id, association, theme, stage, territory, date, size_band, sector, "
        "intensity, CASE WHEN visibility = 'public' THEN "
        f"coalesce({_text(connection, 'visibility')}, '{_NEED_VISIBILITY}') "
        "ELSE visibility END FROM needs ORDER BY rowid")
    return [_new(LightNeed, (i, who, theme, stage, place, day[date], band, sector,
                             number[intensity], shown))
            for i, who, theme, stage, place, date, band, sector, intensity, shown in cursor]


def need_counts(connection: Connection, territories: Territories | None = None
                ) -> list[NeedCount]:
    """The needs the connection may read, counted by territory, theme and stage.

    Coverage only counts needs per cell: the database groups them, without any record's
    other fields. They are the needs :func:`needs` returns (row-level security filters them
    before they are counted), whatever their visibility.

    A national store's million needs lie in some thirty thousand communes: counted by
    territory, they make half a million rows. With ``territories``, the needs of the known
    communes of one département are counted together, under the first of those communes
    (``territory`` stands for all of them): a commune falls in the grid territory its
    département's line does, in any grid of départements or régions (see
    :meth:`pmae.analysis.coverage_grid.Grid.place`), so coverage with the same territories
    computes the same grid from a few thousand rows. Other territories (a département, an
    unknown commune…) are counted each on its own.
    """
    # On SQLite, scans of the index on exactly these columns (schema version 8): no row of
    # the table is read (a scan of the table took twice as long).
    table = f"needs INDEXED BY {NEED_CELL_INDEX}" if _sqlite(connection) else "needs"
    if territories is None:
        cursor = connection.execute(
            f"SELECT territory, theme, stage, count(*) FROM {table} "
            "GROUP BY territory, theme, stage")
        return [_new(NeedCount, row) for row in cursor]
    first: dict[str, str] = {}  # a département -> its first commune
    groups: dict[str, list[str]] = {}  # that commune -> the communes counted with it
    alone: list[str | None] = []
    for (code,) in connection.execute(f"SELECT DISTINCT territory FROM {table}"):
        try:
            # A commune's first parent is its département.
            own = territories.parents(code)[0] if code and code.startswith("com:") else None
        except TerritoryError:
            own = None
        if own is None:
            alone.append(code)
        else:
            groups.setdefault(first.setdefault(own, code), []).append(code)
    counted = f"SELECT theme, stage, count(*) FROM {table} WHERE territory IN ({_EACH}) " \
              "GROUP BY theme, stage"
    rows = [_new(NeedCount, (code, theme, stage, count))
            for code, members in groups.items()
            for theme, stage, count in connection.execute(counted, (_array(members),))]
    if None in alone:
        rows += [_new(NeedCount, (None, *row)) for row in connection.execute(
            f"SELECT theme, stage, count(*) FROM {table} WHERE territory IS NULL "
            "GROUP BY theme, stage")]
    others = [code for code in alone if code is not None]
    if others:
        rows += [_new(NeedCount, row) for row in connection.execute(
            f"SELECT territory, theme, stage, count(*) FROM {table} "
            f"WHERE territory IN ({_EACH}) GROUP BY territory, theme, stage",
            (_array(others),))]
    return rows


#: SQL: the values of a JSON array given as the parameter (PostgreSQL's translated).
_EACH = "SELECT value FROM json_each(?)"


def _array(values: list[str]) -> str:
    return orjson.dumps(values).decode()


_READERS: dict[str, Callable[[Connection], list[Any]]] = {
    "actors": actors, "offers": offers, "needs": needs, "need_counts": need_counts}


def read(connection: Connection, collections: Iterable[str] = LIGHT_COLLECTIONS, *,
         generated_at: dt.datetime, territories: Territories | None = None) -> LightBundle:
    """The light rows of ``collections`` (among :data:`LIGHT_COLLECTIONS`), and the needs
    counted (:func:`need_counts`, with ``territories`` when given) when they include
    ``need_counts``.

    :raises ValueError: for a collection without light rows.
    """
    wanted = tuple(collections)
    unknown = [name for name in wanted if name not in _READERS]
    if unknown:
        raise ValueError(f"no light rows for {', '.join(unknown)}: only for "
                         f"{', '.join(READABLE)}")
    # Python's cycle collector paused, as for loading a bundle: a million new tuples started
    # full collections over every object of the process, which cost more than the reading.
    with gc_paused():
        rows = {name: tuple(need_counts(connection, territories) if name == "need_counts"
                            else _READERS[name](connection)) for name in wanted}
        return LightBundle(generated_at=generated_at, **rows)

