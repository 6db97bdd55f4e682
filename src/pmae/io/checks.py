"""Layer 3 of validation: integrity and meaning, on a structured :class:`~pmae.model.Bundle`.

Unique ids, references that resolve to the right kind of record, codes known to the
vocabularies, territories that exist, dates in order, SIREN/SIRET check digits, size bands that
match headcounts. Checks added by plugins run after these, through the same ``Issue`` type.
The checks are table-driven (one row a field) so that a new field gets checked by adding a row,
and so that they stay fast at national scale: a path string is only built for an issue. They
run record by record (:meth:`Checker.check_record`), so JSON Lines are checked as they are read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, NamedTuple

import attrs

from pmae.i18n import gettext as _
from pmae.identifiers import luhn_ok, siret_ok
from pmae.io.check_tables import (
    _CLOSED_BY_SCHEMA,
    _SINGULAR,
    REFERENCE_FIELDS,
    TERRITORY_FIELDS,
    VOCABULARY_FIELDS,
)
from pmae.io.response_checks import response_issues
from pmae.issues import Issue, suggest
from pmae.jsonpath import json_path
from pmae.model import COLLECTIONS, Bundle, Record
from pmae.territories import Territories, TerritoryError, core_territories
from pmae.vocab import Vocabulary, core_vocabularies, size_band_for


@attrs.define(kw_only=True, frozen=True)
class CheckContext:
    """What the checks check against: vocabularies and territories (core + plugins)."""

    vocabularies: Mapping[str, Vocabulary] = attrs.field(factory=core_vocabularies)
    territories: Territories = attrs.field(factory=core_territories)
    #: Skip what the JSON Schema already enforced (closed vocabularies) on schema-checked data.
    schema_checked: bool = False


def _values(value: Any) -> Iterator[tuple[int | None, Any]]:
    if isinstance(value, tuple):
        yield from enumerate(value)
    elif value is not None:
        yield None, value


def _sub(field: str, position: int | None) -> tuple[str | int, ...]:
    return (field,) if position is None else (field, position)


class _Plan(NamedTuple):
    """How to check the records of one collection (see :meth:`Checker.plan`)."""

    collection: str
    codes: list[tuple[str, frozenset[str] | None]]
    references: list[tuple[str, frozenset[str]]]
    territory_fields: tuple[str, ...]
    nested: bool


class Checker:
    """The semantic checks of one bundle (:func:`check_bundle`), or record by record."""

    def __init__(self, bundle: Bundle, context: CheckContext, file: str | None,
                 positions: Mapping[str, list[int]] | None,
                 known_ids: Mapping[str, str] | None) -> None:
        self.bundle = bundle
        self.context = context
        self.file = file
        self.positions = positions or {}
        self.known_ids = known_ids or {}
        self.issues: list[Issue] = []
        # The bundle's own source and the sources of the bundles merged into it.
        self.sources = {bundle.source.slug} | {p.source.slug for p in bundle.provenance}
        self.kind_of: dict[str, str] = {}
        self._territory_memo: dict[str, Issue | None] = {}
        self._good_territories: set[str] = set()
        self._size_bands: dict[int, str] = {}

    def path(self, collection: str, index: int, *rest: str | int) -> str:
        positions = self.positions.get(collection)
        return json_path((collection, positions[index] if positions else index, *rest))

    def add(self, code: str, path: str, message: str, *, severity: str = "error",
            hint: str | None = None) -> None:
        self.issues.append(Issue(code=code, severity=severity, path=path, message=message,
                                 hint=hint, file=self.file))

    # -- ids ---------------------------------------------------------------------------------
    def ids(self) -> None:
        first: dict[str, int] = {}  # id -> index in its collection (a path only when needed)
        kind_of = self.kind_of
        for collection in COLLECTIONS:
            for index, record in enumerate(getattr(self.bundle, collection)):
                record_id = record.id
                if record_id in kind_of:
                    where = self.path(kind_of[record_id], first[record_id])
                    self.add("duplicate-id", self.path(collection, index, "id"),
                             _("id '{id}' is already used at {where}").format(
                                 id=record_id, where=where))
                    continue
                kind_of[record_id] = collection
                first[record_id] = index
                self.foreign_id(collection, index, record_id)

    def foreign_id(self, collection: str, index: int, record_id: str) -> None:
        """Warn about an id of another source than the bundle's."""
        if (prefix := record_id.partition(":")[0]) not in self.sources:
            self.add("foreign-id", self.path(collection, index, "id"),
                     _("id '{id}' belongs to source '{prefix}', not to '{source}'").format(
                         id=record_id, prefix=prefix, source=self.bundle.source.slug),
                     severity="warning")

    # -- per record --------------------------------------------------------------------------
    def references(self, collection: str, index: int, record: Record) -> None:
        for field, targets in REFERENCE_FIELDS[collection]:
            for position, target in _values(getattr(record, field)):
                self._reference(collection, index, _sub(field, position), target, targets)
        if collection == "meetings":
            for s, speaker in enumerate(record.speakers):  # type: ignore[union-attr]
                if speaker.actor is not None:
                    self._reference(collection, index, ("speakers", s, "actor"), speaker.actor,
                                    ("actors",))
            for w, workshop in enumerate(record.workshops):  # type: ignore[union-attr]
                for f, facilitator in enumerate(workshop.facilitators):
                    self._reference(collection, index, ("workshops", w, "facilitators", f),
                                    facilitator, ("actors",))
            for r, registration in enumerate(record.registrations):  # type: ignore[union-attr]
                self._reference(collection, index, ("registrations", r, "actor"),
                                registration.actor, ("actors",))

    def _reference(self, collection: str, index: int, sub: tuple[str | int, ...], target: str,
                   targets: tuple[str, ...]) -> None:
        kind = self.kind_of.get(target) or self.known_ids.get(target)
        if kind is None:
            source = target.partition(":")[0]
            if source not in self.sources:
                # Another network's record: it resolves once the bundles are merged.
                self.add("external-reference", self.path(collection, index, *sub),
                         _("'{target}' is a record of the network '{source}', not in this "
                           "bundle").format(target=target, source=source), severity="info")
            else:
                self.add("dangling-reference", self.path(collection, index, *sub),
                         _("'{target}' refers to no record of this bundle").format(
                             target=target))
        elif kind not in targets:
            self.add("wrong-reference", self.path(collection, index, *sub),
                     _("'{target}' is {kind}, expected {expected}").format(
                         target=target, kind=_(_SINGULAR[kind]),
                         expected=_(" or ").join(_(_SINGULAR[t]) for t in targets)))

    def codes(self, collection: str, index: int, record: Record) -> None:
        vocabularies = self.context.vocabularies
        skip = self.context.schema_checked
        for field, vocabulary_id in VOCABULARY_FIELDS[collection]:
            if skip and vocabulary_id in _CLOSED_BY_SCHEMA:
                continue
            vocabulary = vocabularies[vocabulary_id]
            for position, code in _values(getattr(record, field)):
                if code not in vocabulary:
                    self._unknown_code(collection, index, _sub(field, position), code, vocabulary)
        if not skip and record.visibility not in vocabularies["visibility"]:
            self._unknown_code(collection, index, ("visibility",), record.visibility,
                               vocabularies["visibility"])
        if collection == "meetings":
            themes = vocabularies["themes"]
            for w, workshop in enumerate(record.workshops):  # type: ignore[union-attr]
                for t, code in enumerate(workshop.themes):
                    if code not in themes:
                        self._unknown_code(collection, index, ("workshops", w, "themes", t),
                                           code, themes)

    def _unknown_code(self, collection: str, index: int, sub: tuple[str | int, ...], code: str,
                      vocabulary: Vocabulary) -> None:
        close = [c for c in (suggest(code, vocabulary.codes()),) if c]
        hint = (_("did you mean '{close}'? see `pmae vocab {vocabulary}`").format(
                    close=close[0], vocabulary=vocabulary.id) if close
                else _("see `pmae vocab {vocabulary}` for the codes").format(
                    vocabulary=vocabulary.id))
        self.add("unknown-code", self.path(collection, index, *sub),
                 _("'{code}' is not a code of the vocabulary '{vocabulary}'").format(
                     code=code, vocabulary=vocabulary.id), hint=hint)

    def territories(self, collection: str, index: int, record: Record) -> None:
        for field in TERRITORY_FIELDS.get(collection, ()):
            for position, code in _values(getattr(record, field)):
                if code in self._territory_memo:
                    issue = self._territory_memo[code]
                else:
                    issue = self._territory_memo[code] = self._territory_issue(code)
                if issue is not None:
                    self.issues.append(attrs.evolve(
                        issue, path=self.path(collection, index, *_sub(field, position))))

    def _territory_issue(self, code: str) -> Issue | None:
        try:
            self.context.territories.parse(code)
        except TerritoryError as error:
            if error.code == "unknown-commune":
                return self._unknown_commune(code, error)
            return Issue(code=error.code, message=str(error), file=self.file)
        if not self.context.territories.exists(code):
            return Issue(code="unknown-territory", file=self.file,
                         message=_("territory '{code}' does not exist").format(code=code))
        return None

    def _unknown_commune(self, code: str, error: TerritoryError) -> Issue:
        territories = self.context.territories
        departement = code[4:7] if code.startswith("com:97") else code[4:6]
        hint = _("use the INSEE code of a commune of dep:{departement}").format(
            departement=departement)
        if error.suggestions:
            hint = _("did you mean {names}?").format(
                names=territories.describe(error.suggestions))
        return Issue(code="unknown-commune", file=self.file, hint=hint,
                     message=_("commune '{code}' does not exist in the Code officiel "
                               "géographique ({version})").format(
                                   code=code, version=territories.cog_version))

    def dates(self, collection: str, index: int, record: Any) -> None:
        if collection == "responses":
            self.issues += [attrs.evolve(i, file=self.file, path=self.path(collection, index,
                                                                            i.path))
                            for i in response_issues(record)]
        elif collection == "offers":
            if (record.valid_from is not None and record.valid_until is not None
                    and record.valid_until < record.valid_from):
                self.add("dates-out-of-order", self.path(collection, index, "valid_until"),
                         _("valid_until {until} is before valid_from {since}").format(
                             until=record.valid_until, since=record.valid_from))
        elif collection == "meetings":
            if record.end < record.start:
                self.add("dates-out-of-order", self.path(collection, index, "end"),
                         _("the meeting ends ({end}) before it starts ({start})").format(
                             end=record.end.isoformat(), start=record.start.isoformat()))
            for w, workshop in enumerate(record.workshops):
                if workshop.start and workshop.end and workshop.end < workshop.start:
                    self.add("dates-out-of-order",
                             self.path(collection, index, "workshops", w, "end"),
                             _("the workshop ends before it starts"))

    def identifiers(self, collection: str, index: int, record: Any) -> None:
        siren = getattr(record, "siren", None)
        siret = record.siret
        if siren is not None and not luhn_ok(siren):
            self.add("bad-check-digit", self.path(collection, index, "siren"),
                     _("SIREN {siren} fails its check digit (Luhn)").format(siren=siren))
        if siret is not None:
            if not siret_ok(siret):
                self.add("bad-check-digit", self.path(collection, index, "siret"),
                         _("SIRET {siret} fails its check digit (Luhn)").format(siret=siret))
            elif siren is not None and not siret.startswith(siren):
                self.add("siret-siren-mismatch", self.path(collection, index, "siret"),
                         _("SIRET {siret} does not start with the SIREN {siren}").format(
                             siret=siret, siren=siren))

    def headcount(self, index: int, record: Any) -> None:
        if record.headcount is None or record.size_band is None:
            return
        expected = size_band_for(record.headcount)
        if expected != record.size_band:
            self.add("size-band-mismatch", self.path("associations", index, "size_band"),
                     _("size band {band} does not match a headcount of {headcount} (band "
                       "{expected})").format(band=record.size_band, headcount=record.headcount,
                                             expected=expected), severity="warning")

    def plan(self, collection: str) -> _Plan:
        """How to check a record of ``collection``, built once: code fields with their valid
        values, reference fields with the kinds they may point to. :meth:`check_record`
        calls the explaining methods only when a value is not obviously valid."""
        vocabularies = self.context.vocabularies
        skip = self.context.schema_checked
        codes: list[tuple[str, frozenset[str] | None]] = [
            (field, frozenset(vocabularies[vocabulary_id].codes()))
            for field, vocabulary_id in VOCABULARY_FIELDS[collection]
            if not (skip and vocabulary_id in _CLOSED_BY_SCHEMA)]
        return _Plan(collection=collection, codes=codes,
                     references=[(field, frozenset(targets))
                                 for field, targets in REFERENCE_FIELDS[collection]],
                     territory_fields=TERRITORY_FIELDS.get(collection, ()),
                     nested=collection == "meetings")

    def references_resolve(self, plan: _Plan, record: Any) -> bool:
        """Whether every reference of ``record`` points to a record of a kind it may."""
        kind_of = self.kind_of
        for field, targets in plan.references:
            value = getattr(record, field)
            if value is None:
                continue
            if value.__class__ is tuple:
                if not all(kind_of.get(v) in targets for v in value):
                    return False
            elif kind_of.get(value) not in targets:
                return False
        return True

    def check_record(self, plan: _Plan, index: int, record: Any, *,
                     references: bool = True) -> None:
        """Every check of one record; its references unless ``references`` is false (for a
        caller that checks them once it has seen every id)."""
        collection = plan.collection
        if references and (plan.nested or not self.references_resolve(plan, record)):
            self.references(collection, index, record)
        slow = False
        for field, valid in plan.codes:
            value = getattr(record, field)
            if value is None:
                continue
            if value.__class__ is tuple:
                if not valid.issuperset(value):  # type: ignore[union-attr]
                    slow = True
            elif value not in valid:  # type: ignore[operator]
                slow = True
        if slow or plan.nested or not self.context.schema_checked:
            self.codes(collection, index, record)
        good_territories = self._good_territories
        for field in plan.territory_fields:
            value = getattr(record, field)
            if value is None:
                continue
            values = value if value.__class__ is tuple else (value,)
            if not good_territories.issuperset(values):
                before = len(self.issues)
                self.territories(collection, index, record)
                if len(self.issues) == before:
                    good_territories.update(values)
                break
        if collection in ("offers", "meetings", "responses"):
            self.dates(collection, index, record)
        elif collection in ("associations", "actors"):
            self.identifiers(collection, index, record)
            headcount = getattr(record, "headcount", None)
            if headcount is not None and record.size_band is not None:
                band = self._size_bands.get(headcount)
                if band is None:
                    band = self._size_bands[headcount] = size_band_for(headcount)
                if band != record.size_band:
                    self.headcount(index, record)

    def run(self) -> list[Issue]:
        self.ids()
        for collection in COLLECTIONS:
            records = getattr(self.bundle, collection)
            if not records:
                continue
            plan = self.plan(collection)
            for index, record in enumerate(records):
                self.check_record(plan, index, record)
        return self.issues


Check = Callable[[Bundle, CheckContext], Iterable[Issue]]


def check_bundle(
    bundle: Bundle, context: CheckContext | None = None, *, file: str | None = None,
    extra_checks: Iterable[Check] = (),
    positions: Mapping[str, list[int]] | None = None,
    known_ids: Mapping[str, str] | None = None,
) -> list[Issue]:
    """Run the semantic checks (then ``extra_checks``) and return every issue found.

    :param positions: for a bundle built from part of a document, the document index of each
        record, by collection, so paths point into the document.
    :param known_ids: ids (-> collection) of records left out of ``bundle`` that references
        may still point to without being reported as dangling.
    """
    context = context or CheckContext()
    issues = Checker(bundle, context, file, positions, known_ids).run()
    for check in extra_checks:
        issues.extend(attrs.evolve(issue, file=issue.file or file)
                      for issue in check(bundle, context))
    return issues
