"""What the store derives from a record to write beside it: the départements it covers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pmae.store.schema import DEPARTEMENTS

if TYPE_CHECKING:
    from pmae.territories import Territories

__all__ = ["with_departements"]


def with_departements(collection: str, record: dict[str, Any],
                      territories: Territories) -> dict[str, Any]:
    """``record`` with ``departements``: the départements its territory fields cover (France
    and a région: theirs; a commune: its own), which :func:`pmae.store.rows.put_rows` writes
    into ``<collection>_departements``. Other collections' records are returned as they are.
    The record's JSON text is made before, from the record as published."""
    fields = DEPARTEMENTS.get(collection)
    if not fields:
        return record
    found: set[str] = set()
    for field in fields:
        value = record.get(field)
        for code in value if isinstance(value, list) else [value] if value else []:
            if territories.exists(code):
                found.update(territories.departements(code))
    return record | {"departements": sorted(found)}
