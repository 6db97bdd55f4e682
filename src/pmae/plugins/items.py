"""What plugins register: exporters, importers, diagnostic tools, vocabulary extensions,
territory referentials and checks.

Each item checks itself when it is built (attrs validators), so a mistake raises
:class:`InvalidItemError` inside the plugin that made it: the plugin manager then skips that
plugin, naming it, at load time, not later in a user's run.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal

import attrs

from pmae.issues import Issue
from pmae.jsonpath import path_parts
from pmae.plugins.context import Notes, Option
from pmae.plugins.types import (
    CheckFunction,
    ExportFunction,
    Locate,
    QuestionnaireData,
    ReadFunction,
    ScoreFunction,
)
from pmae.territories import Territories
from pmae.vocab import NAMESPACED_CODE, Term, Vocabulary

#: Names of registered items: lower-case letters, digits, ``-`` and ``_``.
ITEM_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
#: Names of diagnostic tools: an item name, optionally namespaced (``occitanie:gestion``), as
#: the diagnosis schema's ``tool`` allows.
TOOL_NAME = re.compile(r"^(?:[a-z][a-z0-9_-]*:)?[a-z0-9][a-z0-9_-]*$")
#: Ids of whole vocabularies a plugin registers (``themes``, ``occitanie:filieres``).
VOCABULARY_ID = re.compile(r"^(?:[a-z][a-z0-9_-]*:)?[a-z][a-z0-9_]*$")


class InvalidItemError(ValueError):
    """A plugin registered something pmae cannot use; the message says what to fix."""


# -- the validators: each raises InvalidItemError naming the item and the field ----------------


def _wrong(item: Any, message: str) -> InvalidItemError:
    return InvalidItemError(f"{type(item).__name__} {item.name!r}: {message}")


def _name(item: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not ITEM_NAME.match(value):
        raise InvalidItemError(
            f"{type(item).__name__} name {value!r} must be lower-case letters, digits, - or _")


def _tool_name(item: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or len(value) > 100 or not TOOL_NAME.match(value):
        raise InvalidItemError(
            f"{type(item).__name__} name {value!r} must be lower-case letters, digits, - or _, "
            "optionally namespaced: 'occitanie:gestion-benevoles'")


def _title(item: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    if not value:
        raise _wrong(item, f"needs a {attribute.name}")


def _function(item: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    if not callable(value):
        raise _wrong(item, f"{attribute.name} must be callable")


def _matches(pattern: str, rule: str) -> Callable[[Any, attrs.Attribute[Any], Any], None]:
    def check(item: Any, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, str) or not re.match(pattern, value):
            raise _wrong(item, rule)

    return check


def _options(item: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if not isinstance(value, tuple) or not all(isinstance(o, Option) for o in value):
        raise _wrong(item, "options must be a tuple of pmae.plugins.Option values")
    names = [option.name for option in value]
    if len(set(names)) != len(names):
        raise _wrong(item, "an option is declared twice")


@attrs.define(kw_only=True, frozen=True)
class ExportContext:
    """What an exporter knows besides the bundle: who the export is for, its options.

    The bundle an exporter receives has already been filtered for ``audience`` by pmae's core.
    """

    audience: str
    #: The options, checked and converted when the exporter declares them (``options=``).
    options: Mapping[str, Any] = attrs.field(factory=dict)
    vocabularies: Mapping[str, Vocabulary] = attrs.field(factory=dict)
    territories: Territories | None = None
    lang: str = "fr"
    notes: Notes = attrs.field(factory=Notes, eq=False, repr=False)

    def warn(self, message: str, *, record: str | None = None) -> None:
        """Report something the format could not carry (``record``: the id concerned); pmae
        shows the warnings after the export, counted and named after the plugin."""
        self.notes.warn(message, record=record)


class ExportError(ValueError):
    """An exporter cannot write this bundle with these options; the message says why.

    Exporters raise it for bad options or data their format cannot hold; ``pmae export``
    prints the message (no traceback) and exits with 1.
    """


@attrs.define(kw_only=True, frozen=True)
class Exporter:
    """Writes a bundle in another format.

    ``target`` says what the exporter writes. ``"file"``: ``export(bundle, stream, context)``
    writes bytes to a binary stream that pmae opened on a temporary file and moves into place
    when the export succeeds. ``"directory"``: ``export(bundle, folder, context)`` fills an empty
    temporary folder that pmae moves into place the same way.
    """

    name: str = attrs.field(validator=_name)
    title: str = attrs.field(validator=_title)
    export: ExportFunction = attrs.field(validator=_function)
    target: Literal["file", "directory"] = attrs.field(
        default="file", validator=_matches(r"^(file|directory)$",
                                           "target must be 'file' or 'directory'"))
    suffix: str | None = attrs.field(default=None, validator=attrs.validators.optional(
        _matches(r"^\.[A-Za-z0-9.]+$", "suffix must look like '.ics'")))
    description: str = ""
    #: The options it takes, checked before it runs; ``None``: undeclared, passed unchecked.
    options: tuple[Option, ...] | None = attrs.field(default=None, validator=_options)


@attrs.define(kw_only=True, frozen=True)
class ImportResult:
    """What an importer read: a bundle document (plain JSON-ready data) and its own issues.

    ``locate`` maps a JSON path of the document (``$.offers[3].themes``) to where it came from
    in the source (file, row, column), so that validation issues point into the user's file.

    A source may hold some tables of a bundle without its envelope (``offers.csv`` alone): the
    document then holds those collections only, ``partial`` is the issue saying what is
    missing (a whole import reports it as its error), and ``fields`` names, per collection,
    the fields the source gave its records, so that an update of an existing bundle replaces
    those and keeps the others (see :func:`pmae.exchange.import_file`).
    """

    document: Any
    issues: tuple[Issue, ...] = ()
    locate: Locate | None = None
    partial: Issue | None = None
    fields: Mapping[str, frozenset[str]] = attrs.field(factory=dict)


@attrs.define(kw_only=True, frozen=True)
class Importer:
    """Reads another format into a bundle document, which pmae then validates like any bundle.

    ``read(path, options)`` or ``read(path, options, context)`` returns an
    :class:`ImportResult`; it reports bad input as issues (with file, row and column), never
    by raising, and what the bundle cannot carry with ``context.warn`` (an
    :class:`~pmae.plugins.context.ImportContext`, given to a ``read`` that takes it).
    """

    name: str = attrs.field(validator=_name)
    title: str = attrs.field(validator=_title)
    read: ReadFunction = attrs.field(validator=_function)
    description: str = ""
    #: The options it takes, checked before it runs; ``None``: undeclared, passed unchecked.
    options: tuple[Option, ...] | None = attrs.field(default=None, validator=_options)


def _questionnaire(item: DiagnosticTool, attribute: attrs.Attribute[Any], value: object) -> None:
    """A questionnaire valid by pmae's rules, whose id and version are the tool's."""
    if not isinstance(value, Mapping):
        raise _wrong(item, "questionnaire must be a mapping")
    # Imported here: pmae.diagnostics sits beside pmae.io and must not see the plugins.
    from pmae.diagnostics import parse_questionnaire

    def plugin_code(issue: Issue) -> bool:
        # Only pmae's core vocabularies are known here: a namespaced theme may come from a
        # vocabulary extension another plugin registers, so it passes.
        if issue.code != "unknown-code":
            return False
        found: Any = value
        for part in path_parts(issue.path):
            found = found[part]
        return isinstance(found, str) and bool(NAMESPACED_CODE.match(found))

    _, issues = parse_questionnaire(value)
    errors = [i for i in issues if i.severity == "error" and not plugin_code(i)]
    if errors:
        shown = "; ".join(f"{i.path}: [{i.code}] {i.message}" for i in errors[:3])
        more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
        raise _wrong(item, f"invalid questionnaire: {shown}{more}")
    # Schema-valid now, so the id and the version are there.
    if item.name != value["id"]:
        raise _wrong(item, f"its name must be its questionnaire's id {value['id']!r}")
    if item.version != value["version"]:
        raise _wrong(item, f"version {item.version!r} is not its questionnaire's version "
                           f"{value['version']!r}")


@attrs.define(kw_only=True, frozen=True)
class DiagnosticTool:
    """A diagnostic questionnaire: declarative data, and optionally custom scoring in Python.

    ``questionnaire`` is the tool's data (the questionnaire format of pmae's diagnostics);
    ``score`` replaces the standard scoring when the tool needs an unusual rule.
    """

    name: str = attrs.field(validator=_tool_name)
    title: str = attrs.field(validator=_title)
    version: str
    questionnaire: QuestionnaireData = attrs.field(validator=_questionnaire)
    score: ScoreFunction | None = attrs.field(
        default=None, validator=attrs.validators.optional(_function))
    description: str = ""


def _terms(item: VocabularyExtension, attribute: attrs.Attribute[Any],
           value: Iterable[object]) -> None:
    """A namespace of the right form, and terms that are all ``<namespace>:<code>``."""
    if not re.match(r"^[a-z][a-z0-9_-]*$", item.namespace):
        raise InvalidItemError(f"vocabulary extension: bad namespace {item.namespace!r}")
    for term in value:
        if not isinstance(term, Term):
            raise InvalidItemError("vocabulary extension terms must be pmae.vocab.Term values")
        if not NAMESPACED_CODE.match(term.code) or not term.code.startswith(f"{item.namespace}:"):
            raise InvalidItemError(f"vocabulary extension: code {term.code!r} must be "
                                   f"namespaced as '{item.namespace}:<code>'")


def _scope(item: VocabularyExtension, attribute: attrs.Attribute[Any],
           value: Iterable[object]) -> None:
    for code in value:
        if not isinstance(code, str) or not re.match(r"^(fr|[a-z]+:[0-9A-Za-z]+)$", code):
            raise InvalidItemError(f"vocabulary extension {item.name}: territory {code!r} must "
                                   "be a territory code such as 'reg:76' or 'dep:31'")


@attrs.define(kw_only=True, frozen=True)
class VocabularyExtension:
    """Namespaced codes added to an open vocabulary (``occitanie:tiers_lieux``).

    ``territories`` are those the codes apply to (``("reg:76",)``; every territory when
    empty): coverage counts a scoped theme only in the territories inside or around them, so
    a region's own themes add no zone blanche to another region's grid. They must be known
    territories when the plugins are loaded.
    """

    vocabulary: str
    namespace: str
    terms: tuple[Term, ...] = attrs.field(validator=_terms)
    territories: tuple[str, ...] = attrs.field(default=(), converter=tuple, validator=_scope)

    @property
    def name(self) -> str:
        """Items are addressed by name: ``<vocabulary>+<namespace>``."""
        return f"{self.vocabulary}+{self.namespace}"


def _referential(item: TerritoryReferential, attribute: attrs.Attribute[Any],
                 value: object) -> None:
    """Either a whole ``base`` alone, or a ``level`` and its entries ``(code, name, parents)``."""
    if value is not None:
        if not isinstance(value, Territories) or item.entries or item.level:
            raise _wrong(item, "a base is a pmae Territories value, given alone (no level, "
                               "no entries)")
        return
    level = item.level
    if not isinstance(level, str) or not re.match(r"^[a-z][a-z0-9_]*$", level):
        raise _wrong(item, f"bad level {level!r}")
    for entry in item.entries:
        if not (isinstance(entry, tuple) and len(entry) == 3 and isinstance(entry[0], str)
                and entry[0].startswith(f"{level}:")):
            raise _wrong(item, f"each entry is (code, name, parents) with a code '{level}:…'; "
                               f"got {entry!r}")


@attrs.define(kw_only=True, frozen=True)
class TerritoryReferential:
    """A territory level and its entries: ``(code, name, parent codes)``.

    Adds EPCI membership, *bassins de vie*, the Métropole de Lyon… Parents must exist (core
    codes, or entries of a referential applied before this one: see the order of items in
    docs/plugins/lifecycle.md).

    A referential may instead give a whole ``base`` (régions, départements, former régions):
    pmae's built-in plugin registers the INSEE COG that way, and a plugin may register a newer
    vintage, which then replaces it.
    """

    name: str = attrs.field(validator=_name)
    title: str = attrs.field(validator=_title)
    level: str | None = None
    entries: tuple[tuple[str, str | None, tuple[str, ...]], ...] = ()
    base: Territories | None = attrs.field(default=None, validator=_referential)


def _codes(item: Check, attribute: attrs.Attribute[Any], value: Iterable[str]) -> None:
    for code in value:
        if not re.match(r"^[a-z][a-z0-9_-]*:[a-z0-9-]+$", code):
            raise _wrong(item, f"issue code {code!r} must be namespaced, "
                               "e.g. 'occitanie:missing-siret'")


@attrs.define(kw_only=True, frozen=True)
class Check:
    """A semantic check of whole bundles, run after pmae's own.

    ``check(bundle, context)`` yields :class:`~pmae.issues.Issue` values; ``codes`` lists the
    issue codes it may emit (namespaced by the plugin: ``occitanie:missing-siret``).
    """

    name: str = attrs.field(validator=_name)
    title: str = attrs.field(validator=_title)
    check: CheckFunction = attrs.field(validator=_function)
    codes: tuple[str, ...] = attrs.field(default=(), validator=_codes)


Item = (
    Exporter | Importer | DiagnosticTool | Vocabulary | VocabularyExtension
    | TerritoryReferential | Check
)


def item_name(item: object) -> str:
    """The name an item is addressed by (a vocabulary's id, an extension's vocabulary+ns)."""
    if isinstance(item, Vocabulary):
        return item.id
    return str(item.name)  # type: ignore[attr-defined]


def validate_item(item: object, accepted: tuple[type[Any], ...]) -> None:
    """Check that ``item`` is one of the ``accepted`` types, and valid.

    Items check their own fields when they are built; what is left is their type (an item
    given to the wrong hook) and the id of a whole :class:`~pmae.vocab.Vocabulary`, a core type
    that knows nothing of plugins. Raises :class:`InvalidItemError` naming the problem.
    """
    if not isinstance(item, accepted):
        names = " or ".join(f"pmae.plugins.{t.__name__}" for t in accepted)
        raise InvalidItemError(f"register() takes a {names}, got {type(item).__name__}")
    if isinstance(item, Vocabulary) and not VOCABULARY_ID.match(item.id):
        raise InvalidItemError(f"vocabulary id {item.id!r} is not a valid id")
