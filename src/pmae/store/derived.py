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
    # A national bundle names a few tens of thousands of places a million times: each is
    # looked up once.
    memo = _MEMOS.get(id(territories))
    if memo is None or memo[0] is not territories:
        if len(_MEMOS) >= 4:  # sessions come and go (tests make hundreds): keep a few
            _MEMOS.clear()
        memo = _MEMOS[id(territories)] = (territories, {})
    known = memo[1]
    found: set[str] = set()
    for field in fields:
        value = record.get(field)
        for code in value if isinstance(value, list) else [value] if value else []:
            covered = known.get(code)
            if covered is None:
                covered = known[code] = (territories.departements(code)
                                         if territories.exists(code) else ())
            found.update(covered)
    return record | {"departements": sorted(found)}


#: id(territories) -> (territories, code -> the départements it covers); a few entries.
_MEMOS: dict[int, tuple[Territories, dict[str, tuple[str, ...]]]] = {}
