"""A shared diagnosis rebuilt from its published tables (what :meth:`SharedDiagnosis.to_json`
gives), for a reader who never sees the needs: a network of a PostgreSQL store reads the
tables the administrator computed (:func:`pmae.store.networks.network_diagnosis`) and renders
them as ``pmae needs`` renders the tables it computes.

Only the published view is known: :meth:`SharedDiagnosis.published`,
:meth:`~SharedDiagnosis.published_margins`, :meth:`~SharedDiagnosis.source` and
:meth:`~SharedDiagnosis.to_json` give back what was published, and ``cells``/``margins`` hold
the same published figures (the true tallies stay with whoever computed them).
"""

from __future__ import annotations

from typing import Any

from pmae.analysis.shared_diagnosis.model import Cell, Key, SecrecyRules, SharedDiagnosis

__all__ = ["from_published"]


def _cells(rows: list[dict[str, Any]], dimensions: tuple[str, ...]) -> dict[Key, Cell]:
    return {tuple(str(row[d]) for d in dimensions): Cell(
        associations=row["associations"], needs=row["needs"], intensity=row["intensity"],
        status=row["status"]) for row in rows}


def from_published(document: dict[str, Any]) -> SharedDiagnosis:
    """The diagnosis whose published tables are ``document`` (``to_json``'s plain data).

    :raises ValueError: ``document`` is not a shared diagnosis's published tables.
    """
    try:
        dimensions = tuple(document["dimensions"])
        cells = _cells(document["cells"], dimensions)
        margins = _cells(document["margins"], dimensions)
        rules = SecrecyRules(**document["rules"])
        level = document["territory_level"]
    except (KeyError, TypeError) as error:
        raise ValueError(f"not the published tables of a shared diagnosis ({error!r} "
                         "missing or wrong)") from None
    source = document.get("source") or {}
    return SharedDiagnosis(
        dimensions=dimensions, territory_level=level, rules=rules, cells=cells,
        margins=margins, source_needs=source.get("needs") or 0,
        source_associations=source.get("associations") or 0, shown_cells=cells,
        shown_margins=margins)
