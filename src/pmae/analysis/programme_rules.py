"""The rules of the annual programme, as data.

The founding document of the démarche says what a year holds: 3 half-day COFIL meetings,
3 one-day Rencontres régionales with one outside expert speaker and exchange workshops, at least
one collective production. pmae ships these as data (``pmae/data/programme_rules.json``, checked
by ``schemas/programme-rules.schema.json``); a region changes them with a rules document of its
own (:func:`parse_rules`), which is checked the same way and reported as
:class:`~pmae.issues.Issue` values with JSON paths into the document. See ``docs/programme.md``.
"""

from __future__ import annotations

import functools
import importlib.resources
from collections.abc import Callable, Mapping
from typing import Any, Final

import attrs

from pmae.i18n import gettext as _
from pmae.io.files import parse_json
from pmae.io.schema_issues import document_issues
from pmae.io.schemas import validator
from pmae.issues import Issue
from pmae.jsonpath import json_path

__all__ = ["CHECKS", "DEFAULT_RULES_FILE", "ProgrammeRules", "Rule", "default_rules",
           "parse_rules"]

#: Check -> the parameters it takes (names as in the rules file).
CHECKS: Final[Mapping[str, tuple[str, ...]]] = {
    "meeting-count": ("meeting_kind", "min", "max"),
    "meeting-duration": ("meeting_kind", "min_minutes", "max_minutes"),
    "outside-speakers": ("meeting_kind", "min", "max"),
    "workshops": ("meeting_kind", "min", "max"),
    "production-count": ("production_kinds", "min", "max"),
    # Responses decided in the year (format 1.1): a region's rules may require some.
    "response-count": ("min", "max"),
}
_PARAMETERS: Final = ("meeting_kind", "production_kinds", "min", "max", "min_minutes",
                      "max_minutes")


@attrs.define(kw_only=True, frozen=True)
class Rule:
    """One rule of the programme: what it checks, with which bounds (``None``: no bound)."""

    code: str
    check: str
    label_fr: str
    label_en: str
    meeting_kind: str | None = None
    production_kinds: tuple[str, ...] = ()
    min_count: int | None = None
    max_count: int | None = None
    min_minutes: int | None = None
    max_minutes: int | None = None

    def label(self, lang: str = "fr") -> str:
        """The rule's label in ``lang`` (``fr`` or ``en``)."""
        return self.label_en if lang == "en" else self.label_fr


@attrs.define(kw_only=True, frozen=True)
class ProgrammeRules:
    """The rules a year is checked against, in order, and what they are called."""

    title_fr: str
    title_en: str
    rules: tuple[Rule, ...]

    def title(self, lang: str = "fr") -> str:
        """The title in ``lang``."""
        return self.title_en if lang == "en" else self.title_fr


DEFAULT_RULES_FILE: Final = "programme_rules.json"


@functools.cache
def _default_document() -> dict[str, Any]:
    data = importlib.resources.files("pmae").joinpath("data", DEFAULT_RULES_FILE).read_bytes()
    document: dict[str, Any] = parse_json(data, file=DEFAULT_RULES_FILE)
    return document


@functools.cache
def default_rules() -> ProgrammeRules:
    """pmae's rules, from the founding document of the démarche.

    :raises ValueError: if the shipped file is not valid (a packaging bug).
    """
    rules, issues = parse_rules(_default_document(), file=DEFAULT_RULES_FILE)
    if rules is None:
        raise ValueError("; ".join(issue.render() for issue in issues))
    return rules


def parse_rules(data: Any, *, file: str | None = None) -> tuple[ProgrammeRules | None, list[Issue]]:
    """Check a rules document and build the rules it gives.

    A rule with ``check`` is defined whole; one without changes the default rule of the same
    code (the fields given replace the default's); ``"enabled": false`` drops a rule. Unless the
    document says ``"defaults": false``, it starts from pmae's default rules.

    A rules file is read with :func:`pmae.io.files.read_document`:
    ``parse_rules(document.data, file=path)``.

    :returns: the rules (``None`` if any error was found) and every issue, with JSON paths into
        the document.
    """
    if not validator("programme-rules").is_valid(data):
        return None, document_issues("programme-rules", data, file=file)
    base: dict[str, dict[str, Any]] = {}
    if data.get("defaults", True):
        base = {rule["code"]: rule for rule in _default_document()["rules"]}
    merged = dict(base)
    issues: list[Issue] = []
    seen: set[str] = set()
    for index, entry in enumerate(data["rules"]):
        code = entry["code"]
        at = functools.partial(_path, index, entry)
        if code in seen:
            issues.append(Issue(code="duplicate-id", path=at("code"), file=file,
                                message=_("the rule '{code}' is given twice").format(
                                    code=code),
                                hint=_("give each rule once")))
            continue
        seen.add(code)
        if "check" in entry:
            rule = dict(entry)
        elif code in base:
            rule = {**base[code], **entry}
        else:
            issues.append(Issue(
                code="missing-field", path=at("check", missing=True), file=file,
                message=_("'check' is required: '{code}' is not one of the default rules")
                .format(code=code),
                hint=_("give check, label_fr and label_en for a new rule, or use the code of "
                       "a default rule (see docs/programme.md)")))
            continue
        issues.extend(_rule_issues(rule, at, file))
        merged[code] = rule
    if issues:
        return None, issues
    rules = tuple(_build(rule) for rule in merged.values() if rule.get("enabled", True))
    return ProgrammeRules(title_fr=_title(data, "fr"), title_en=_title(data, "en"),
                          rules=rules), []


def _title(data: Mapping[str, Any], lang: str) -> str:
    """The document's title in ``lang``, else in the other language, else a made-up one."""
    other = "en" if lang == "fr" else "fr"
    title = data.get(f"title_{lang}") or data.get(f"title_{other}")
    if title:
        return str(title)
    if not data.get("defaults", True):
        return "Règles du programme" if lang == "fr" else "Programme rules"
    default = _default_document()[f"title_{lang}"]
    return f"{default} (adaptées)" if lang == "fr" else f"{default} (adapted)"


def _path(index: int, entry: Mapping[str, Any], field: str | None = None, *,
          missing: bool = False) -> str:
    # A field the entry gives (or lacks) is pointed at; one it inherits points at the entry.
    parts: list[str | int] = ["rules", index]
    if field is not None and (missing or field in entry):
        parts.append(field)
    return json_path(parts)


def _rule_issues(rule: Mapping[str, Any], at: Callable[..., str],
                 file: str | None) -> list[Issue]:
    check, code = rule["check"], rule["code"]
    allowed = CHECKS[check]
    issues = [
        Issue(code="rule-parameter-not-used", path=at(name), file=file,
              message=_("'{name}' is not a parameter of the check '{check}' (rule "
                        "'{code}')").format(name=name, check=check, code=code),
              hint=_("the parameters of '{check}' are {parameters}").format(
                  check=check, parameters=", ".join(allowed)))
        for name in _PARAMETERS if name in rule and name not in allowed]
    if "meeting_kind" in allowed and "meeting_kind" not in rule:
        issues.append(Issue(code="missing-field", path=at("meeting_kind", missing=True),
                            file=file,
                            message=_("'meeting_kind' is required by the check '{check}'")
                            .format(check=check)))
    low, high = ("min_minutes", "max_minutes") if check == "meeting-duration" else ("min", "max")
    if low not in rule and high not in rule:
        issues.append(Issue(code="missing-field", path=at(low, missing=True), file=file,
                            message=_("'{low}' or '{high}' is required by the check "
                                      "'{check}'").format(low=low, high=high, check=check)))
    elif low in rule and high in rule and rule[low] > rule[high]:
        issues.append(Issue(code="min-above-max", path=at(low if low in rule else high),
                            file=file, message=_(
                                "'{low}' ({low_value}) is above '{high}' ({high_value}) in "
                                "the rule '{code}'").format(
                                    low=low, low_value=rule[low], high=high,
                                    high_value=rule[high], code=code)))
    return issues


def _build(rule: Mapping[str, Any]) -> Rule:
    return Rule(code=rule["code"], check=rule["check"], label_fr=rule["label_fr"],
                label_en=rule["label_en"], meeting_kind=rule.get("meeting_kind"),
                production_kinds=tuple(rule.get("production_kinds", ())),
                min_count=rule.get("min"), max_count=rule.get("max"),
                min_minutes=rule.get("min_minutes"), max_minutes=rule.get("max_minutes"))
