"""What plugins register: exporters, importers, diagnostic tools, vocabulary extensions,
territory referentials and checks.

Each is an attrs value that :func:`validate_item` checks as soon as it is registered, so a
mistake is reported against the plugin that made it, at load time, not later in a user's run.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

import attrs

from pmae.io.checks import CheckContext
from pmae.issues import Issue
from pmae.jsonpath import path_parts
from pmae.model import Bundle
from pmae.territories import Territories
from pmae.vocab import NAMESPACED_CODE, Term, Vocabulary

#: Names of registered items: lower-case letters, digits, ``-`` and ``_``.
ITEM_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


@attrs.define(kw_only=True, frozen=True)
class ExportContext:
    """What an exporter knows besides the bundle: who the export is for, its options.

    The bundle an exporter receives has already been filtered for ``audience`` by pmae's core.
    """

    audience: str
    options: Mapping[str, str] = attrs.field(factory=dict)
    vocabularies: Mapping[str, Vocabulary] = attrs.field(factory=dict)
    territories: Territories | None = None
    lang: str = "fr"


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

    name: str
    title: str
    export: Callable[[Bundle, Any, ExportContext], None]
    target: Literal["file", "directory"] = "file"
    suffix: str | None = None
    description: str = ""


@attrs.define(kw_only=True, frozen=True)
class ImportResult:
    """What an importer read: a bundle document (plain JSON-ready data) and its own issues.

    ``locate`` maps a JSON path of the document (``$.offers[3].themes``) to where it came from
    in the source (file, row, column), so that validation issues point into the user's file.
    """

    document: Any
    issues: tuple[Issue, ...] = ()
    locate: Callable[[str], tuple[str | None, int | None, str | None] | None] | None = None


@attrs.define(kw_only=True, frozen=True)
class Importer:
    """Reads another format into a bundle document, which pmae then validates like any bundle.

    ``read(path, options)`` returns an :class:`ImportResult`; it reports bad input as issues
    (with file, row and column), never by raising.
    """

    name: str
    title: str
    read: Callable[[Path, Mapping[str, str]], ImportResult]
    description: str = ""


@attrs.define(kw_only=True, frozen=True)
class DiagnosticTool:
    """A diagnostic questionnaire: declarative data, and optionally custom scoring in Python.

    ``questionnaire`` is the tool's data (the questionnaire format of pmae's diagnostics);
    ``score`` replaces the standard scoring when the tool needs an unusual rule.
    """

    name: str
    title: str
    version: str
    questionnaire: Mapping[str, Any]
    score: Callable[..., Any] | None = None
    description: str = ""


@attrs.define(kw_only=True, frozen=True)
class VocabularyExtension:
    """Namespaced codes added to an open vocabulary (``occitanie:tiers_lieux``)."""

    vocabulary: str
    namespace: str
    terms: tuple[Term, ...]

    @property
    def name(self) -> str:
        """Items are addressed by name: ``<vocabulary>+<namespace>``."""
        return f"{self.vocabulary}+{self.namespace}"


@attrs.define(kw_only=True, frozen=True)
class TerritoryReferential:
    """A territory level and its entries: ``(code, name, parent codes)``.

    Adds EPCI membership, *bassins de vie*, the Métropole de Lyon… Parents must exist (core
    codes, or entries of a referential registered before this one).

    A referential may instead give a whole ``base`` (régions, départements, former régions):
    pmae's built-in plugin registers the INSEE COG that way, and a plugin may register a newer
    vintage, which then replaces it.
    """

    name: str
    title: str
    level: str | None = None
    entries: tuple[tuple[str, str | None, tuple[str, ...]], ...] = ()
    base: Territories | None = None


@attrs.define(kw_only=True, frozen=True)
class Check:
    """A semantic check of whole bundles, run after pmae's own.

    ``check(bundle, context)`` yields :class:`~pmae.issues.Issue` values; ``codes`` lists the
    issue codes it may emit (namespaced by the plugin: ``occitanie:missing-siret``).
    """

    name: str
    title: str
    check: Callable[[Bundle, CheckContext], Iterable[Issue]]
    codes: tuple[str, ...] = ()


Item = (
    Exporter | Importer | DiagnosticTool | Vocabulary | VocabularyExtension
    | TerritoryReferential | Check
)

#: Hook name -> the item types its ``register`` takes.
ITEM_TYPES: dict[str, tuple[type[Any], ...]] = {
    "pmae_register_exporters": (Exporter,),
    "pmae_register_importers": (Importer,),
    "pmae_register_diagnostics": (DiagnosticTool,),
    "pmae_register_vocabularies": (Vocabulary, VocabularyExtension),
    "pmae_register_territories": (TerritoryReferential,),
    "pmae_register_checks": (Check,),
}

#: Hook name -> the kind of item, as ``pmae plugins`` shows it.
ITEM_KINDS: dict[str, str] = {
    "pmae_register_exporters": "exporter",
    "pmae_register_importers": "importer",
    "pmae_register_diagnostics": "diagnostic",
    "pmae_register_vocabularies": "vocabulary",
    "pmae_register_territories": "territories",
    "pmae_register_checks": "check",
}


def item_name(item: object) -> str:
    """The name an item is addressed by (a vocabulary's id, an extension's vocabulary+ns)."""
    if isinstance(item, Vocabulary):
        return item.id
    return str(item.name)  # type: ignore[attr-defined]


class InvalidItemError(ValueError):
    """A plugin registered something pmae cannot use; the message says what to fix."""


def validate_item(item: object, accepted: tuple[type[Any], ...]) -> None:
    """Check a registered item at once; raise :class:`InvalidItemError` naming the problem."""
    if not isinstance(item, accepted):
        names = " or ".join(f"pmae.plugins.{t.__name__}" for t in accepted)
        raise InvalidItemError(f"register() takes a {names}, got {type(item).__name__}")
    expected = type(item)
    if isinstance(item, VocabularyExtension):
        _validate_extension(item)
        return
    if isinstance(item, Vocabulary):
        if not re.match(r"^(?:[a-z][a-z0-9_-]*:)?[a-z][a-z0-9_]*$", item.id):
            raise InvalidItemError(f"vocabulary id {item.id!r} is not a valid id")
        return
    name = item.name
    if not isinstance(name, str) or not ITEM_NAME.match(name):
        raise InvalidItemError(
            f"{expected.__name__} name {name!r} must be lower-case letters, digits, - or _")
    for field in ("title",):
        if not getattr(item, field, None):
            raise InvalidItemError(f"{expected.__name__} {name!r} needs a {field}")
    callables = {"export": Exporter, "read": Importer, "check": Check}
    for attribute, owner in callables.items():
        if isinstance(item, owner) and not callable(getattr(item, attribute)):
            raise InvalidItemError(f"{expected.__name__} {name!r}: {attribute} must be callable")
    if isinstance(item, Exporter):
        if item.target not in ("file", "directory"):
            raise InvalidItemError(f"Exporter {name!r}: target must be 'file' or 'directory'")
        if item.suffix is not None and not re.match(r"^\.[A-Za-z0-9.]+$", item.suffix):
            raise InvalidItemError(f"Exporter {name!r}: suffix must look like '.ics'")
    if isinstance(item, DiagnosticTool):
        if item.score is not None and not callable(item.score):
            raise InvalidItemError(f"DiagnosticTool {name!r}: score must be callable")
        if not isinstance(item.questionnaire, Mapping):
            raise InvalidItemError(f"DiagnosticTool {name!r}: questionnaire must be a mapping")
        # Imported here: pmae.diagnostics sits beside pmae.io and must not see the plugins.
        from pmae.diagnostics import parse_questionnaire

        def plugin_code(issue: Issue) -> bool:
            # Only pmae's core vocabularies are known at registration: a namespaced theme may
            # come from a vocabulary extension another plugin registers, so it passes here.
            if issue.code != "unknown-code":
                return False
            value: Any = item.questionnaire
            for part in path_parts(issue.path):
                value = value[part]
            return isinstance(value, str) and bool(NAMESPACED_CODE.match(value))

        _, issues = parse_questionnaire(item.questionnaire)
        errors = [i for i in issues if i.severity == "error" and not plugin_code(i)]
        if errors:
            shown = "; ".join(f"{i.path}: [{i.code}] {i.message}" for i in errors[:3])
            more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
            raise InvalidItemError(
                f"DiagnosticTool {name!r}: invalid questionnaire: {shown}{more}")
        # Schema-valid now, so the id and the version are there.
        if name != item.questionnaire["id"]:
            raise InvalidItemError(
                f"DiagnosticTool {name!r}: its name must be its questionnaire's id "
                f"{item.questionnaire['id']!r}")
        if item.version != item.questionnaire["version"]:
            raise InvalidItemError(
                f"DiagnosticTool {name!r}: version {item.version!r} is not its "
                f"questionnaire's version {item.questionnaire['version']!r}")
    if isinstance(item, TerritoryReferential):
        if item.base is not None:
            if not isinstance(item.base, Territories) or item.entries or item.level:
                raise InvalidItemError(
                    f"TerritoryReferential {name!r}: a base is a pmae Territories value, "
                    "given alone (no level, no entries)")
            return
        if not isinstance(item.level, str) or not re.match(r"^[a-z][a-z0-9_]*$", item.level):
            raise InvalidItemError(f"TerritoryReferential {name!r}: bad level {item.level!r}")
        for entry in item.entries:
            if not (isinstance(entry, tuple) and len(entry) == 3
                    and isinstance(entry[0], str) and entry[0].startswith(f"{item.level}:")):
                raise InvalidItemError(
                    f"TerritoryReferential {name!r}: each entry is (code, name, parents) with a "
                    f"code '{item.level}:…'; got {entry!r}")
    if isinstance(item, Check):
        for code in item.codes:
            if not re.match(r"^[a-z][a-z0-9_-]*:[a-z0-9-]+$", code):
                raise InvalidItemError(
                    f"Check {name!r}: issue code {code!r} must be namespaced, "
                    "e.g. 'occitanie:missing-siret'")


def _validate_extension(item: VocabularyExtension) -> None:
    if not re.match(r"^[a-z][a-z0-9_-]*$", item.namespace):
        raise InvalidItemError(f"vocabulary extension: bad namespace {item.namespace!r}")
    for term in item.terms:
        if not isinstance(term, Term):
            raise InvalidItemError("vocabulary extension terms must be pmae.vocab.Term values")
        if not NAMESPACED_CODE.match(term.code) or not term.code.startswith(f"{item.namespace}:"):
            raise InvalidItemError(
                f"vocabulary extension: code {term.code!r} must be namespaced as "
                f"'{item.namespace}:<code>'")

