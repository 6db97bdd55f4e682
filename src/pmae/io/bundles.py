"""Writing bundles (JSON or JSON Lines, always atomically) and merging bundles of networks."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from typing import Any

import attrs

from pmae.io.converter import unstructure
from pmae.io.files import atomic_writer, dumps_json, dumps_json_lines
from pmae.issues import Issue
from pmae.jsonpath import json_path
from pmae.model import COLLECTIONS, Bundle, Provenance, Record, Source


def bundle_to_data(bundle: Bundle) -> dict[str, Any]:
    """A bundle as JSON-ready data (fields holding nothing are left out)."""
    return unstructure(bundle)  # type: ignore[no-any-return]


def dumps_bundle(bundle: Bundle) -> bytes:
    """A bundle as pretty JSON bytes."""
    return dumps_json(bundle_to_data(bundle))


def is_json_lines(path: str | os.PathLike[str]) -> bool:
    """True for ``.jsonl`` and ``.ndjson`` files."""
    return os.fspath(path).endswith((".jsonl", ".ndjson"))


def write_bundle(bundle: Bundle, path: str | os.PathLike[str]) -> None:
    """Write a bundle atomically: JSON Lines for ``.jsonl``/``.ndjson``, JSON otherwise."""
    data = bundle_to_data(bundle)
    with atomic_writer(path) as handle:
        if is_json_lines(path):
            for line in dumps_json_lines(data):
                handle.write(line)
        else:
            handle.write(dumps_json(data))


@attrs.define(kw_only=True, frozen=True)
class MergeResult:
    """A merged bundle and what merging found: conflicts are errors, nothing was overwritten."""

    bundle: Bundle
    issues: tuple[Issue, ...]

    @property
    def conflicts(self) -> tuple[Issue, ...]:
        """The ``merge-conflict`` issues."""
        return tuple(i for i in self.issues if i.code == "merge-conflict")


def _provenance_of(bundle: Bundle, file: str | None) -> list[Provenance]:
    own = Provenance(source=bundle.source, generated_at=bundle.generated_at, file=file,
                     records=sum(bundle.counts().values()))
    return [own, *bundle.provenance]


def merge_bundles(
    bundles: Sequence[Bundle],
    *,
    files: Sequence[str | None] | None = None,
    source: Source,
    generated_at: dt.datetime | None = None,
    licence: str | None = None,
) -> MergeResult:
    """Merge bundles of several networks, keeping every record's provenance.

    Records keep their ids (which carry their source). The same id with the same content is
    kept once; the same id with different content is a ``merge-conflict`` naming both places
    and the fields that differ: the result holds the first version, and callers should not
    use it before the conflict is resolved (``pmae merge`` writes nothing).

    :param files: the file each bundle came from, for the issues and the provenance.
    :param source: who publishes the merged bundle.
    :param generated_at: when (defaults to now, UTC).
    :param licence: the merged bundle's licence (defaults to the first bundle's).
    """
    if not bundles:
        raise ValueError("merge_bundles needs at least one bundle")
    names = list(files) if files is not None else [None] * len(bundles)
    if len(names) != len(bundles):
        raise ValueError("files must name one file per bundle")
    kept: dict[str, tuple[Record, str, int, int]] = {}  # id -> record, collection, bundle#, index
    collections: dict[str, list[Record]] = {name: [] for name in COLLECTIONS}
    issues: list[Issue] = []
    provenance: list[Provenance] = []
    for number, (bundle, file) in enumerate(zip(bundles, names, strict=True)):
        for entry in _provenance_of(bundle, file):
            if entry not in provenance:
                provenance.append(entry)
        for collection in COLLECTIONS:
            for index, record in enumerate(getattr(bundle, collection)):
                previous = kept.get(record.id)
                if previous is None:
                    kept[record.id] = (record, collection, number, index)
                    collections[collection].append(record)
                    continue
                if previous[0] == record:
                    continue
                where = f"{names[previous[2]] or f'bundle #{previous[2] + 1}'}:" \
                        f"{json_path((previous[1], previous[3]))}"
                if type(record) is not type(previous[0]):
                    # One id for two kinds of record: no field comparison makes sense.
                    what = f"is in {collection} here and in {previous[1]} at {where}"
                else:
                    fields = [f.name for f in attrs.fields(type(record))
                              if getattr(record, f.name) != getattr(previous[0], f.name)]
                    what = f"differs from the record at {where} (in {', '.join(fields)})"
                issues.append(Issue(
                    code="merge-conflict", path=json_path((collection, index)), file=file,
                    message=f"'{record.id}' {what}",
                ))
    merged = Bundle(
        source=source,
        generated_at=generated_at or dt.datetime.now(dt.UTC).replace(microsecond=0),
        licence=licence or bundles[0].licence,
        provenance=tuple(provenance),
    ).with_collections(collections)
    return MergeResult(bundle=merged, issues=tuple(issues))
