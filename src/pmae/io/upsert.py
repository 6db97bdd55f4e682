"""Importing into an existing bundle: records updated by id, nothing lost unless asked.

A bundle exported for an audience (``pmae export --audience public``) holds only what that
audience may see: fewer records, and some of them without their personal data or with a
reference to a hidden record cleared. Imported back over the full bundle it came from, it must
not take away what it never held. :func:`upsert` therefore

- adds the records whose id is new, in the order of the import;
- for a record already there, takes from the import only the fields that differ from what
  the audience was shown of it (the record as :func:`~pmae.io.audience.filter_bundle` gives
  it): an untouched field keeps the full bundle's value, contacts and references included;
- keeps every record the import does not hold; with ``replace``, removes those the import's
  audience could see (so it could have held them) and keeps the others.

The envelope (source, date, licence, provenance, audience) is the existing bundle's.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from pmae.io.audience import filter_bundle
from pmae.model import COLLECTIONS, Bundle, Record

__all__ = ["Upserted", "upsert"]


@attrs.define(kw_only=True, frozen=True)
class Upserted:
    """The result of :func:`upsert`: the bundle, and what it kept that the import lacked.

    ``absent`` counts, per collection, the records the import could have held but did not
    (kept, or removed with ``replace``); ``hidden`` those its audience could not see (always
    kept). Only collections with a count are present.
    """

    bundle: Bundle
    #: The audience of the import (``all`` when it records none).
    audience: str
    absent: Mapping[str, int]
    hidden: Mapping[str, int]
    #: Whether the records counted in ``absent`` were removed.
    replaced: bool


def _merged(full: Record, shown: Record | None, edited: Record) -> Record:
    """``full`` with the fields where ``edited`` differs from ``shown`` (what was exported of
    it) taken from ``edited``."""
    if shown is None:  # the audience did not see it: the import's record is a new version
        return edited
    if edited == shown:
        return full
    changes = {field.alias: getattr(edited, field.name)
               for field in attrs.fields(type(full))
               if getattr(edited, field.name) != getattr(shown, field.name)}
    return attrs.evolve(full, **changes)


def upsert(existing: Bundle, incoming: Bundle, *, replace: bool = False) -> Upserted:
    """``existing`` updated by id with the records of ``incoming`` (see the module docs).

    :param replace: remove the records of ``existing`` that ``incoming``'s audience could see
        and that it does not hold.
    """
    audience = incoming.audience or "all"
    visible = existing if audience == "all" else filter_bundle(existing, audience)
    collections: dict[str, list[Record]] = {}
    absent: dict[str, int] = {}
    hidden: dict[str, int] = {}
    for name in COLLECTIONS:
        shown = {record.id: record for record in getattr(visible, name)}
        new = {record.id: record for record in getattr(incoming, name)}
        kept: list[Record] = []
        for record in getattr(existing, name):
            if record.id in new:
                kept.append(_merged(record, shown.get(record.id), new.pop(record.id)))
                continue
            counts = absent if record.id in shown else hidden
            counts[name] = counts.get(name, 0) + 1
            if not (replace and record.id in shown):
                kept.append(record)
        collections[name] = [*kept, *new.values()]
    return Upserted(bundle=existing.with_collections(collections), audience=audience,
                    absent=absent, hidden=hidden, replaced=replace)
