"""What both registry importers share: their options, the checks of identifiers, and the
filling or enriching of a bundle's associations.

An importer reads registry rows into :class:`Found` values (an association and the place it
came from). :func:`build_result` then makes the bundle document: a new bundle of those
associations, or, with ``--option bundle=PATH``, that bundle with its associations enriched
(:func:`enrich`). pmae validates the result like any bundle.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import attrs
from pmae.identifiers import luhn_ok, siret_ok
from pmae.io.bundles import bundle_to_data
from pmae.io.pipeline import InvalidBundleError
from pmae.issues import Issue
from pmae.model import Association, Bundle, Source
from pmae.plugins import ImportContext, ImportResult
from pmae.sessions import session as current_session
from pmae.territories import TerritoryError

if TYPE_CHECKING:
    from pmae.sessions import Session

SLUG: Final = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
RNA: Final = re.compile(r"^W[0-9][0-9AB][0-9]{7}$")
COMMUNE: Final = re.compile(r"^(?:[0-9]{5}|2[AB][0-9]{3})$")
#: The fields enrichment may fill, in the order of the model.
FIELDS: Final = ("name", "rna", "siren", "siret", "sector", "size_band", "commune", "idcc",
                 "founded")
#: The options both importers take.
OPTIONS: Final = ("source", "name", "bundle", "territory")
#: The code of a value dropped: a warning of pmae's import (see :func:`run_import`).
LOST: Final = "registres:lost"


@attrs.define(kw_only=True, frozen=True)
class Place:
    """Where a value came from: the file, the row (CSV) and the JSON path or column."""

    file: str
    row: int | None = None
    path: str = "$"
    column: str | None = None

    def at(self, field: str) -> Place:
        """The place of one field of this record (a column, or a JSON path below it)."""
        if self.row is not None:
            return attrs.evolve(self, column=field)
        return attrs.evolve(self, path=f"{self.path}.{field}")

    def issue(self, code: str, message: str, *, severity: str = "warning",
              hint: str | None = None) -> Issue:
        """An issue at this place."""
        return Issue(code=code, severity=severity, path=self.path, message=message, hint=hint,
                     file=self.file, line=self.row, column=self.column)


@attrs.define(kw_only=True, frozen=True)
class Found:
    """One association read from a registry, with the place of its row."""

    association: Association
    place: Place


@attrs.define(kw_only=True)
class Options:
    """The importers' options, checked; ``issues`` holds what is wrong with them."""

    source: str | None = None
    name: str | None = None
    bundle: Path | None = None
    territory: str | None = None
    issues: list[Issue] = attrs.field(factory=list)

    @classmethod
    def parse(cls, options: Mapping[str, Any], session: Session, *,
              extra: tuple[str, ...] = ()) -> Options:
        """Check ``source``, ``name``, ``bundle`` and ``territory`` (and the importer's own
        ``extra`` keys, which it reads itself); unknown keys are errors."""
        result = cls(source=options.get("source"), name=options.get("name"),
                     bundle=Path(options["bundle"]) if options.get("bundle") else None,
                     territory=options.get("territory"))
        for key in options:
            if key not in OPTIONS + extra:
                result.fail(f"unknown option {key!r}; this importer takes "
                            + ", ".join(OPTIONS + extra))
        if result.source is not None and not SLUG.match(result.source):
            result.fail(f"source {result.source!r} must be a slug (lower-case letters, digits "
                        "and dashes), as in the ids <source>:<local>")
        if result.territory is not None and not session.territories.exists(result.territory):
            result.fail(f"territory {result.territory!r} is not a territory pmae knows "
                        "(reg:84, dep:69…)")
        return result

    def fail(self, message: str) -> None:
        """Record an error about the options."""
        self.issues.append(Issue(code="registres:bad-option", message=message,
                                 hint="see the plugin's README for its options"))


def check_siren(value: str, place: Place, issues: list[Issue]) -> str | None:
    """A SIREN with a valid check digit (pmae's Luhn check), or ``None`` and a warning."""
    if re.fullmatch(r"[0-9]{9}", value) and luhn_ok(value):
        return value
    issues.append(place.issue("registres:bad-identifier",
                              f"SIREN {value!r} is not 9 digits with a valid check digit"))
    return None


def check_siret(value: str, siren: str | None, place: Place, issues: list[Issue]) -> str | None:
    """A SIRET with a valid check digit that starts with ``siren``, or ``None`` and a
    warning (the association is kept without it)."""
    if not (re.fullmatch(r"[0-9]{14}", value) and siret_ok(value)):
        issues.append(place.issue("registres:bad-identifier",
                                  f"SIRET {value!r} is not 14 digits with a valid check "
                                  "digit: not imported"))
        return None
    if siren is not None and not value.startswith(siren):
        issues.append(place.issue("registres:bad-identifier",
                                  f"SIRET {value} does not start with the SIREN {siren}: "
                                  "not imported"))
        return None
    return value


def commune(code: str, place: Place, session: Session, issues: list[Issue]) -> str | None:
    """``com:<code>`` when it is a commune code pmae knows, else ``None`` and a warning."""
    territory = f"com:{code}"
    if COMMUNE.match(code) and session.territories.exists(territory):
        return territory
    issues.append(place.issue(LOST, f"commune {code!r} is not an INSEE commune "
                              "code pmae knows: not imported"))
    return None


def in_territory(found: Association, territory: str | None, session: Session) -> bool:
    """Whether an association's commune lies in ``territory`` (always, without one)."""
    if territory is None:
        return True
    if found.commune is None:
        return False
    try:
        return session.territories.contains(territory, found.commune)
    except TerritoryError:
        return False


def enrich(bundle: Bundle, found: Iterable[Association | Found], *,
           issues: list[Issue] | None = None) -> Bundle:
    """``bundle`` with the registries' associations: each one that matches an association of
    the bundle (same RNA, SIREN or SIRET) fills the fields that association lacks; the others
    are added. A value the bundle already has is kept; a different one from the registry is
    reported in ``issues``.

    Usable as a change for :func:`pmae.update_bundle`:
    ``pmae.update_bundle("b.json", lambda b: enrich(b, associations))``.
    """
    report = issues if issues is not None else []
    associations = list(bundle.associations)
    keys: dict[tuple[str, str], int] = {}
    for index, association in enumerate(associations):
        for key in _keys(association):
            keys.setdefault(key, index)
    ids = {record.id for _, record in bundle.records()}
    for item in found:
        incoming, place = (item.association, item.place) if isinstance(item, Found) else (
            item, None)
        match = next((keys[k] for k in _keys(incoming) if k in keys), None)
        if match is None:
            if incoming.id in ids:
                if place is not None:
                    report.append(place.issue(
                        "registres:skipped", f"id {incoming.id} is already used by another "
                        "record of the bundle: association not added"))
                continue
            ids.add(incoming.id)
            associations.append(incoming)
            index = len(associations) - 1
        else:
            index = match
            associations[index] = _filled(associations[index], incoming, place, report)
        for key in _keys(associations[index]):
            keys.setdefault(key, index)
    return bundle.with_collections({"associations": associations})


def _keys(association: Association) -> list[tuple[str, str]]:
    siren = association.siren or (association.siret[:9] if association.siret else None)
    return [(kind, value) for kind, value in (("rna", association.rna), ("siren", siren))
            if value]


def _filled(current: Association, incoming: Association, place: Place | None,
            report: list[Issue]) -> Association:
    changes: dict[str, Any] = {}
    for field in FIELDS:
        new = getattr(incoming, field)
        old = getattr(current, field)
        if new is None:
            continue
        if old is None:
            changes[field] = new
        elif old != new and field != "name" and place is not None:
            # Names are written many ways; identifiers and codes that differ are worth a look.
            report.append(place.issue(
                "registres:differs", f"{field}: the registry says {new}, the bundle's "
                f"association {current.id} has {old}; the bundle's value is kept"))
    return attrs.evolve(current, **changes) if changes else current


def base_bundle(options: Options, *, default_name: str,
                session: Session | None = None) -> Bundle | None:
    """The bundle the associations go into: ``options.bundle`` read and validated, or a new
    one of source ``options.source``; ``None`` (and an error in ``options.issues``) when
    neither can be had."""
    s = current_session(session)
    if options.bundle is not None:
        try:
            return s.load_bundle(options.bundle)
        except InvalidBundleError as error:
            errors = [i for i in error.issues if i.severity == "error"]
            # Its own issues say where; this one says why the import stops.
            options.issues.append(Issue(
                code="registres:bad-bundle", file=str(options.bundle),
                message=f"the bundle to enrich has {len(errors)} error(s): nothing is imported",
                hint="validate it with `pmae validate` and fix it first"))
            options.issues.extend(errors)
            return None
    if options.source is None:
        options.fail("the source slug of the ids is not given: add --option source=SLUG (your "
                     "network's slug), or --option bundle=PATH to enrich that bundle")
        return None
    return Bundle(source=Source(slug=options.source, name=options.name or default_name),
                  generated_at=dt.datetime.now(dt.UTC).replace(microsecond=0))


def build_result(base: Bundle, found: Sequence[Found], options: Options, issues: list[Issue],
                 *, session: Session | None = None) -> ImportResult:
    """The document to validate: ``base`` with the associations ``found`` (those in
    ``options.territory``) added or enriching its own.

    ``locate`` points the validation's issues about an added association back to its row.
    """
    s = current_session(session)
    issues = [*options.issues, *issues]
    if any(issue.severity == "error" for issue in issues):
        return ImportResult(document=None, issues=tuple(issues))
    kept = [item for item in found if in_territory(item.association, options.territory, s)]
    enriched = enrich(base, kept, issues=issues)
    places = {item.association.id: item.place for item in kept}
    by_index = {index: places[a.id] for index, a in enumerate(enriched.associations)
                if a.id in places}

    def locate(json_path: str) -> tuple[str | None, int | None, str | None] | None:
        match = re.match(r"^\$\.associations\[(\d+)\]", json_path)
        place = by_index.get(int(match[1])) if match else None
        return (place.file, place.row, place.column or place.path) if place else None

    return ImportResult(document=bundle_to_data(enriched), issues=tuple(issues), locate=locate)


#: Reads a registry file: ``read(path, slug of the ids, session)`` -> associations, issues.
Read = Callable[[Path, str, "Session"], tuple[list[Found], list[Issue]]]


def run_import(path: Path, options: Mapping[str, Any], read: Read, *, default_name: str,
               session: Session | None = None, extra: tuple[str, ...] = (),
               context: ImportContext | None = None) -> ImportResult:
    """An importer's whole run: options checked, the bundle to fill (new, or ``bundle=``
    read), the file read by ``read``, then :func:`build_result`.

    With a ``context`` (pmae's import), the values dropped (``registres:lost``) go to its
    warning channel, each with where it was (file, row and column, or JSON path); without one
    (a direct call), they stay issues of the result.
    """
    s = current_session(session)
    parsed = Options.parse(options, s, extra=extra)
    base = base_bundle(parsed, default_name=default_name, session=s)
    if base is None or any(issue.severity == "error" for issue in parsed.issues):
        return ImportResult(document=None, issues=tuple(parsed.issues))
    found, issues = read(path, parsed.source or base.source.slug, s)
    if context is not None:
        for issue in (i for i in issues if i.code == LOST):
            context.warn(issue.message, record=issue.location())
        issues = [i for i in issues if i.code != LOST]
    return build_result(base, found, parsed, issues, session=s)
