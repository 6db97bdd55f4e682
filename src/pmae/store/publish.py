"""Publication: the records of each source a bundle carries replace that source's records.

The bundles are validated with the session and merged as ``pmae merge`` merges them (a conflict
writes nothing); then, in one write transaction, each record is compared with the stored one
(its JSON, byte for byte): added, changed, unchanged or withdrawn (stored for a source the
bundles carry, absent from them). Every change keeps the version it replaces in ``versions``,
and the publication is logged with its bundles (file, SHA-256, envelope) and counts. A record
of a source the bundles do not carry is never read nor touched. A publication that would change
nothing (same records, same envelopes as the publication that holds them) writes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import attrs
import orjson

from pmae.i18n import gettext as _
from pmae.i18n import ngettext
from pmae.io.bundles import bundle_to_data, dumps_bundle, merge_bundles
from pmae.io.pipeline import InvalidBundleError
from pmae.io.response_checks import status_regressions
from pmae.issues import Issue
from pmae.model import COLLECTIONS, Bundle, Source
from pmae.store.backend import Connection
from pmae.store.connection import pmae_version
from pmae.store.derived import with_departements
from pmae.store.rows import put_rows, remove_rows, write_labels
from pmae.store.schema import quote

if TYPE_CHECKING:
    from pmae.sessions import Session

__all__ = ["Changes", "MergeConflictError", "PublicationResult", "log_publication", "prepare",
           "publish", "same_as_holder"]



class MergeConflictError(Exception):
    """The bundles published together hold the same id with different content."""

    def __init__(self, issues: Sequence[Issue]) -> None:
        self.issues = list(issues)
        super().__init__("; ".join(i.message for i in self.issues if i.code == "merge-conflict"))


@attrs.define(kw_only=True, frozen=True)
class Changes:
    """How many records a publication added, changed, left unchanged and withdrew."""

    added: int = 0
    changed: int = 0
    unchanged: int = 0
    withdrawn: int = 0

    def __add__(self, other: Changes) -> Changes:
        return Changes(added=self.added + other.added, changed=self.changed + other.changed,
                       unchanged=self.unchanged + other.unchanged,
                       withdrawn=self.withdrawn + other.withdrawn)

    def to_dict(self) -> dict[str, int]:
        """The four counts as a mapping."""
        return attrs.asdict(self)

    def summary(self) -> str:
        """``3 added, 1 changed, 40 unchanged, 2 withdrawn`` (the counts that are not 0), in
        the language of the messages."""
        words = {"added": ngettext("{n} added", "{n} added", self.added),
                 "changed": ngettext("{n} changed", "{n} changed", self.changed),
                 "unchanged": ngettext("{n} unchanged", "{n} unchanged", self.unchanged),
                 "withdrawn": ngettext("{n} withdrawn", "{n} withdrawn", self.withdrawn)}
        parts = [words[name].format(n=count) for name, count in attrs.asdict(self).items()
                 if count]
        return ", ".join(parts) or _("no records")


@attrs.define(kw_only=True, frozen=True)
class PublicationResult:
    """What a publication did.

    ``number`` is the publication's number in the log, or ``None`` when it changed nothing
    (then ``holder`` is the publication that already holds these records).
    """

    number: int | None
    holder: int | None = None
    sources: tuple[str, ...]
    changes: dict[str, Changes]
    issues: tuple[Issue, ...] = ()

    @property
    def total(self) -> Changes:
        """The changes of every collection together."""
        return sum(self.changes.values(), Changes())

    @property
    def changed_anything(self) -> bool:
        """Whether the publication wrote anything."""
        return self.number is not None


class _Step(NamedTuple):
    """One record to write: what happens to it, and its row when it has one."""

    change: str
    collection: str
    id: str
    record: dict[str, Any] | None
    text: str | None
    rowid: int | None


@attrs.define(kw_only=True, frozen=True)
class _Input:
    """A validated bundle to publish (its records, or only its envelope when they are read
    from its file as they are written), with its file, SHA-256, the sources it carries (its
    own and its records') and its number of records."""

    bundle: Bundle
    file: str | None
    sha256: str
    carried: tuple[str, ...]
    records: int


def _source_of(record_id: str) -> str:
    return record_id.partition(":")[0]


def prepare(items: Iterable[Bundle | str | os.PathLike[str]], session: Session
            ) -> tuple[list[_Input], Bundle, tuple[Issue, ...]]:
    """Validate each bundle (a path or a :class:`Bundle`) with ``session`` and merge them.

    :raises InvalidBundleError: with every issue of every bundle when one has errors.
    :raises MergeConflictError: when two bundles hold the same id with different content.
    """
    inputs: list[_Input] = []
    issues: list[Issue] = []
    failed = False
    for item in items:
        if isinstance(item, Bundle):
            report = session.validate_bundle(item)
            digest = hashlib.sha256(dumps_bundle(item)).hexdigest()
            file = None
        else:
            file = os.fspath(item)
            report = session.validate_file(file)
            digest = hashlib.sha256(Path(file).read_bytes()).hexdigest()
        issues += report.issues
        if not report.ok or report.bundle is None:
            failed = True
            continue
        bundle = report.bundle
        inputs.append(_Input(bundle=bundle, file=file, sha256=digest, carried=_carried(bundle),
                             records=sum(bundle.counts().values())))
    if failed:
        raise InvalidBundleError(issues)
    if not inputs:
        raise ValueError("publish needs at least one bundle")
    merged = merge_bundles([i.bundle for i in inputs], files=[i.file for i in inputs],
                           source=Source(slug="store", name="Store pmae"))
    if merged.conflicts:
        raise MergeConflictError([*issues, *merged.issues])
    return inputs, merged.bundle, tuple(issues)


def _carried(bundle: Bundle) -> tuple[str, ...]:
    sources = {bundle.source.slug}
    sources.update(_source_of(record.id) for _, record in bundle.records())
    return tuple(sorted(sources))


def _envelope(bundle: Bundle) -> dict[str, Any]:
    """The bundle without its records, as JSON-ready data."""
    return bundle_to_data(bundle.with_collections({name: () for name in COLLECTIONS}))


def _text(data: Any) -> str:
    return orjson.dumps(data).decode()


def _stored(connection: Connection, sources: Sequence[str]
            ) -> dict[str, tuple[str, int, str]]:
    """id -> (collection, rowid, JSON) of every stored record of ``sources``."""
    marks = ", ".join("?" * len(sources))
    found: dict[str, tuple[str, int, str]] = {}
    for collection in COLLECTIONS:
        for rowid, record_id, record in connection.execute(
                f"SELECT rowid, id, record FROM {quote(collection)} WHERE source IN ({marks})",
                sources):
            found[record_id] = (collection, rowid, record)
    return found


def same_as_holder(connection: Connection, inputs: Sequence[_Input]) -> int | None:
    """The publication that already holds exactly these bundles' envelopes and sources, if the
    latest publication of each source they carry is that one."""
    carried = sorted({s for item in inputs for s in item.carried})
    holders = {row[0] for row in connection.execute(
        f"SELECT publication FROM sources WHERE slug IN ({', '.join('?' * len(carried))})",
        carried)}
    if len(holders) != 1:
        return None
    (holder,) = holders
    held = connection.execute(
        "SELECT file, envelope FROM publication_bundles WHERE publication = ? ORDER BY position",
        (holder,)).fetchall()
    held_sources = sorted({row[0] for row in connection.execute(
        "SELECT source FROM publication_sources WHERE publication = ?", (holder,))})
    same = (held == [(i.file, _text(_envelope(i.bundle))) for i in inputs]
            and held_sources == carried)
    return holder if same else None


def log_publication(connection: Connection, inputs: Sequence[_Input], total: Changes,
                    *, now: dt.datetime | None, number: int | None = None) -> int:
    """Log a publication of ``inputs`` (its counts, its bundles and the sources they carry,
    now the latest publication of each) and return its number.

    :param number: the publication :func:`begin_log` logged already: its counts are set."""
    if number is not None:
        connection.execute(
            "UPDATE publications SET added = ?, changed = ?, unchanged = ?, withdrawn = ? "
            "WHERE number = ?",
            (total.added, total.changed, total.unchanged, total.withdrawn, number))
    else:
        number = begin_log(connection, total, now=now)
    for position, item in enumerate(inputs):
        envelope = _envelope(item.bundle)
        connection.execute(
            "INSERT INTO publication_bundles (publication, position, file, sha256, source, "
            "generated_at, records, envelope) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (number, position, item.file, item.sha256, item.bundle.source.slug,
             envelope["generated_at"], item.records, _text(envelope)))
        connection.executemany(
            "INSERT INTO publication_sources (publication, position, source) VALUES (?, ?, ?)",
            [(number, position, source) for source in item.carried])
    connection.executemany(
        "INSERT INTO sources (slug, publication) VALUES (?, ?) "
        "ON CONFLICT (slug) DO UPDATE SET publication = excluded.publication",
        [(source, number) for source in sorted({s for i in inputs for s in i.carried})])
    return number


def begin_log(connection: Connection, total: Changes | None = None, *,
              now: dt.datetime | None) -> int:
    """Log a publication (its row only, with ``total``'s counts) and return its number; its
    bundles are logged by :func:`log_publication` given that number."""
    # The next number, not PostgreSQL's identity: a publication rolled back (a streamed one
    # that changed nothing is rolled back to its savepoint) gives its number back, as on SQLite.
    # Publications are serialised (a write transaction; PostgreSQL's advisory lock).
    total = total or Changes()
    number: int = connection.execute(
        "SELECT coalesce(max(number), 0) + 1 FROM publications").fetchone()[0]
    connection.execute(
        "INSERT INTO publications (number, published_at, pmae_version, added, changed, "
        "unchanged, withdrawn) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (number, (now or _now()).isoformat().replace("+00:00", "Z"), pmae_version(),
         total.added, total.changed, total.unchanged, total.withdrawn))
    return number


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _refuse_statuses_back(inputs: Sequence[_Input], stored: dict[str, tuple[str, int, str]],
                          issues: tuple[Issue, ...]) -> None:
    """Raise :class:`InvalidBundleError` when a response's status moves back from the stored
    version (a response only moves forward or is abandoned)."""
    previous = {record_id: orjson.loads(text).get("status", "envisagee")
                for record_id, (collection, _, text) in stored.items()
                if collection == "responses"}
    backwards = [issue for item in inputs
                 for issue in status_regressions(previous, item.bundle.responses, file=item.file)]
    if backwards:
        raise InvalidBundleError([*issues, *backwards])


def publish(connection: Connection, inputs: Sequence[_Input], merged: Bundle, *,
            session: Session, issues: tuple[Issue, ...] = (),
            now: dt.datetime | None = None) -> PublicationResult:
    """Write the merged bundle's records over those of the sources the inputs carry.

    Must run inside a write transaction (see :func:`pmae.store.connection.transaction`).
    """
    carried = sorted({s for item in inputs for s in item.carried})
    stored = _stored(connection, carried)
    _refuse_statuses_back(inputs, stored, issues)
    data = bundle_to_data(merged)
    new: dict[str, tuple[str, dict[str, Any], str]] = {}
    for collection in COLLECTIONS:
        for record in data.get(collection, ()):
            new[record["id"]] = (collection, with_departements(
                collection, record, session.territories), _text(record))
    counts: dict[str, Counter[str]] = {name: Counter() for name in COLLECTIONS}
    plan: list[_Step] = []
    withdrawn: list[_Step] = []
    for record_id, (collection, record, text) in new.items():
        old = stored.get(record_id)
        if old is not None and old[0] == collection and old[2] == text:
            counts[collection]["unchanged"] += 1
        elif old is not None and old[0] == collection:
            counts[collection]["changed"] += 1
            plan.append(_Step("changed", collection, record_id, record, text, old[1]))
        else:
            counts[collection]["added"] += 1
            plan.append(_Step("added", collection, record_id, record, text, None))
    for record_id, (collection, rowid, _old_text) in stored.items():
        if record_id not in new or new[record_id][0] != collection:
            counts[collection]["withdrawn"] += 1
            withdrawn.append(_Step("withdrawn", collection, record_id, None, None, rowid))
    # Withdrawals first: a record that moved to another collection leaves before it comes back.
    plan = withdrawn + plan
    changes = {name: Changes(**count) for name, count in counts.items() if count}
    if not plan:
        holder = same_as_holder(connection, inputs)
        if holder is not None:
            return PublicationResult(number=None, holder=holder, sources=tuple(carried),
                                     changes=changes, issues=issues)
    number = log_publication(connection, inputs, sum(changes.values(), Changes()), now=now)
    write_labels(connection, [(s.collection, s.record) for s in plan if s.record], session)
    grouped: dict[str, list[_Step]] = {}
    for step in plan:
        grouped.setdefault(step.collection, []).append(step)
    for collection, steps in grouped.items():  # every withdrawal before any write
        remove_rows(connection, collection, [s.rowid for s in steps
                                             if s.change == "withdrawn" and s.rowid])
    for collection, steps in grouped.items():
        remove_rows(connection, collection, [s.rowid for s in steps
                                             if s.change == "changed" and s.rowid], keep=True)
        put_rows(connection, collection, [(s.record, s.text, s.rowid) for s in steps
                                          if s.record is not None and s.text is not None])
    connection.executemany(
        "INSERT INTO versions (id, collection, publication, change, record) "
        "VALUES (?, ?, ?, ?, ?)", [(s.id, s.collection, number, s.change, s.text) for s in plan])
    return PublicationResult(number=number, sources=tuple(carried), changes=changes,
                             issues=issues)
