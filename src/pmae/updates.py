"""Updating a bundle file in place: the one way pmae records something into a bundle.

Recording a diagnosis (``pmae diagnose``), referrals (``pmae orient --record``) or thematic
sheets as productions (``pmae sheet --record``) all go through here, with the same guarantees:

- the bundle is read and validated whole with the session (its plugins' vocabularies and
  checks) before anything else: a bundle with errors is not touched;
- a bundle of a newer minor format holding fields this pmae does not know is refused when it
  would be written back over itself, since writing it again would drop those fields (writing
  the result to another file leaves the original, and what it holds, as it was);
- the bundle with the change is validated whole, on exactly the bytes that will be written, so
  a bundle that would not load again never replaces the one the user has;
- the file is replaced atomically (an interrupted run leaves the old file or the new one);
- the result says what was added, changed and removed in each collection.

One call does it all::

    import pmae

    result = pmae.update_bundle("bundle.json", lambda b: record_referrals(b, referrals))
    print(result.summary())             # "referrals: 3 added; needs: 1 changed"

When something long happens between reading and writing (questions asked on a terminal), open
the update first, then apply the change: a file replaced on disk meanwhile is read again, so
the change goes into what is there now::

    update = pmae.BundleUpdate.open("bundle.json")      # validated, refusals raised here
    ...                                                 # use update.bundle
    result = update.apply(change)                       # or: update.prepare(change).write()
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import attrs

from pmae.i18n import gettext as _
from pmae.io.bundles import bundle_to_data, is_json_lines
from pmae.io.files import atomic_writer, dumps_json, dumps_json_lines, parse_json
from pmae.io.pipeline import InvalidBundleError
from pmae.io.response_checks import status_regressions
from pmae.issues import Issue
from pmae.model import COLLECTIONS, Bundle
from pmae.sessions import Session
from pmae.sessions import session as current_session

if TYPE_CHECKING:
    from pmae.sessions import Lang

__all__ = [
    "BundleUpdate",
    "InvalidUpdateError",
    "NewerFormatError",
    "PreparedUpdate",
    "UpdateResult",
    "update_bundle",
]

#: A change: takes the bundle read, returns the bundle to write (the same one for no change).
Change = Callable[[Bundle], Bundle]


class NewerFormatError(Exception):
    """The bundle is of a newer minor format and holds fields this pmae would drop by writing
    it back over itself. ``issues`` are its ``newer-field`` warnings."""

    def __init__(self, path: str, issues: list[Issue]) -> None:
        self.path = path
        self.issues = issues
        super().__init__(_("{path} holds fields of a newer bundle format that this pmae would "
                           "drop by writing it again").format(path=path))


class InvalidUpdateError(Exception):
    """The bundle with the change would not be valid; nothing was written. ``issues`` say
    why, ``output`` is the file that was to be written."""

    def __init__(self, output: str, issues: list[Issue]) -> None:
        self.output = output
        self.issues = issues
        errors = [i for i in issues if i.severity == "error"]
        shown = "\n".join(i.render() for i in errors[:5])
        super().__init__(_("nothing was written: {output} would not be valid with this change "
                           "({count} error(s)):\n{issues}").format(output=output,
                                                                  count=len(errors),
                                                                  issues=shown))


_WORDS: dict[str, tuple[str, str, str, str]] = {
    # added, changed, removed, nothing
    "en": ("added", "changed", "removed", "no change"),
    "fr": ("ajouté(s)", "modifié(s)", "supprimé(s)", "aucun changement"),
}


@attrs.define(kw_only=True, frozen=True)
class UpdateResult:
    """What an update did to a bundle file.

    ``added``, ``changed`` and ``removed`` count records per collection (only collections with
    a count are present); a record is changed when its id is kept with other content.
    """

    #: The file written (or that would have been, when ``written`` is false).
    path: str
    #: The bundle as written.
    bundle: Bundle
    #: The bundle as it was read.
    before: Bundle
    added: Mapping[str, int]
    changed: Mapping[str, int]
    removed: Mapping[str, int]
    #: False when the change changed nothing: the file is then left as it was.
    written: bool

    @property
    def unchanged(self) -> bool:
        """The change added, changed and removed nothing."""
        return not (self.added or self.changed or self.removed)

    def summary(self, lang: Lang = "en") -> str:
        """Counts per collection, in the bundle's order: ``referrals: 3 added; needs: 1
        changed`` (``fr``: ``referrals : 3 ajouté(s) ; needs : 1 modifié(s)``)."""
        words = _WORDS[lang]
        colon, separator = (" : ", " ; ") if lang == "fr" else (": ", "; ")
        parts = []
        for name in COLLECTIONS:
            counts = [f"{counts[name]} {word}" for counts, word in
                      zip((self.added, self.changed, self.removed), words, strict=False)
                      if counts.get(name)]
            if counts:
                parts.append(f"{name}{colon}{', '.join(counts)}")
        return separator.join(parts) or words[3]


def _differences(before: Bundle, after: Bundle) -> tuple[dict[str, int], ...]:
    added: dict[str, int] = {}
    changed: dict[str, int] = {}
    removed: dict[str, int] = {}
    for name in COLLECTIONS:
        old = {record.id: record for record in getattr(before, name)}
        new = {record.id: record for record in getattr(after, name)}
        for counts, number in (
                (added, sum(1 for key in new if key not in old)),
                (changed, sum(1 for key, record in new.items()
                              if key in old and old[key] != record)),
                (removed, sum(1 for key in old if key not in new))):
            if number:
                counts[name] = number
    return added, changed, removed


def _stamp(path: str) -> tuple[int, int, int]:
    # The inode too: an atomic replace by another program gives the file a new one.
    status = os.stat(path)
    return status.st_ino, status.st_mtime_ns, status.st_size


def _same_file(one: str, other: str) -> bool:
    return os.path.realpath(one) == os.path.realpath(other)


@attrs.define(kw_only=True)
class BundleUpdate:
    """A bundle file read and validated for an update; :meth:`apply` records a change."""

    #: The bundle file read.
    path: str
    #: The file the result goes to: ``path`` itself (in place) or another file.
    output: str
    session: Session
    #: The bundle read (valid: a bundle with errors is never opened for an update).
    bundle: Bundle
    #: The warnings and notes of its validation.
    issues: list[Issue]
    _stamp: tuple[int, int, int]

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, output: str | os.PathLike[str] | None = None,
             session: Session | None = None) -> BundleUpdate:
        """Read and validate the bundle at ``path`` for an update written to ``output``
        (default: ``path`` itself).

        :raises InvalidBundleError: the bundle has errors (``issues`` lists them).
        :raises NewerFormatError: it is of a newer minor format, holds fields this pmae does
            not know, and ``output`` is ``path``: writing it again would drop them.
        """
        s = current_session(session)
        file = os.fspath(path)
        target = os.fspath(output) if output is not None else file
        stamp = _stamp(file)
        report = s.validate_file(file)
        if not report.ok or report.bundle is None:
            raise InvalidBundleError(report.issues)
        newer = [issue for issue in report.issues if issue.code == "newer-field"]
        if newer and _same_file(file, target):
            raise NewerFormatError(file, newer)
        return cls(path=file, output=target, session=s, bundle=report.bundle,
                   issues=report.issues, stamp=stamp)

    def reopened(self) -> BundleUpdate:
        """This update, read again if the file changed on disk since it was opened."""
        if _stamp(self.path) == self._stamp:
            return self
        return BundleUpdate.open(self.path, output=self.output, session=self.session)

    def prepare(self, change: Change) -> PreparedUpdate:
        """Apply ``change`` to the bundle (read again first if the file changed on disk) and
        validate the result whole; nothing is written yet (:meth:`PreparedUpdate.write`).

        :raises InvalidUpdateError: the result would not be valid.
        :raises InvalidBundleError: as :meth:`open`, when read again.
        :raises NewerFormatError: as :meth:`open`, when read again.
        """
        current = self.reopened()
        after = change(current.bundle)
        added, changed, removed = _differences(current.bundle, after)
        data = bundle_to_data(after)
        content = (b"".join(dumps_json_lines(data)) if is_json_lines(current.output)
                   else dumps_json(data))
        if added or changed or removed:
            # Validate exactly what is written: JSON, or the JSON Lines joined back into one
            # document (they hold the same data; parse_json reads a JSON text).
            document = parse_json(dumps_json(data), file=current.output)
            report = current.session.validate_document(document, file=current.output)
            backwards = status_regressions({r.id: r.status for r in current.bundle.responses},
                                           after.responses, file=current.output)
            if not report.ok or backwards:
                raise InvalidUpdateError(current.output, [*report.issues, *backwards])
        result = UpdateResult(path=current.output, bundle=after, before=current.bundle,
                              added=added, changed=changed, removed=removed, written=False)
        return PreparedUpdate(update=current, change=change, result=result, content=content)

    def apply(self, change: Change) -> UpdateResult:
        """Prepare the change and write it (see :meth:`prepare`); nothing is written when it
        changes nothing."""
        return self.prepare(change).write()


@attrs.define(kw_only=True, frozen=True)
class PreparedUpdate:
    """A change applied and validated, not written yet: :meth:`write` writes it."""

    update: BundleUpdate
    change: Change = attrs.field(repr=False)
    #: What writing it does (``written`` is false until then).
    result: UpdateResult
    content: bytes = attrs.field(repr=False)

    def write(self) -> UpdateResult:
        """Replace the output file atomically; nothing is written when the change changed
        nothing. A file changed on disk since it was read is read again and the change
        applied to what is there now (no update made meanwhile is lost)."""
        if self.update.reopened() is not self.update:
            return self.update.prepare(self.change).write()
        if self.result.unchanged:
            return self.result
        with atomic_writer(self.result.path) as handle:
            handle.write(self.content)
        return attrs.evolve(self.result, written=True)


def update_bundle(path: str | os.PathLike[str], change: Change, *,
                  output: str | os.PathLike[str] | None = None,
                  session: Session | None = None) -> UpdateResult:
    """Read the bundle at ``path``, apply ``change``, validate the result whole and write it
    atomically to ``output`` (default: ``path`` itself).

    :param change: takes the bundle read and returns the bundle to write (e.g.
        ``lambda b: record_referrals(b, referrals)``).
    :param session: vocabularies, territories and checks to validate with (default:
        :func:`pmae.session`).
    :returns: what was added, changed and removed, per collection.
    :raises InvalidBundleError: the bundle read has errors; nothing was written.
    :raises NewerFormatError: writing it back would drop fields of a newer format.
    :raises InvalidUpdateError: the result would not be valid; nothing was written.
    """
    return BundleUpdate.open(path, output=output, session=session).apply(change)
