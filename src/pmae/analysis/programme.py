"""The rules of the annual programme, as data, and the check of a year against them.

The founding document of the démarche says what a year holds: 3 half-day COFIL meetings,
3 one-day Rencontres régionales with one outside expert speaker and exchange workshops, at least
one collective production. pmae ships these as data (``pmae/data/programme_rules.json``, checked
by ``schemas/programme-rules.schema.json``); a region changes them with a rules file of its own
(:func:`load_rules`), which is checked the same way and reported as :class:`~pmae.issues.Issue`
values with JSON paths into the file. See ``docs/programme.md``.

What counts in a year (decided here, documented there): a meeting belongs to the year its start
falls in (in its own time offset); a cancelled meeting (``annulee``) never counts; a planned one
(``prevue``) counts only while the year is not over relative to ``today``; a production belongs
to its ``year``, counts when published, and, while the year is not over, when planned or in
progress too.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib.resources
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

import attrs

from pmae.io.files import DocumentError, parse_json, read_document
from pmae.io.schema_issues import document_issues, json_path
from pmae.io.schemas import validator
from pmae.issues import Issue
from pmae.model import Bundle, Meeting, Production
from pmae.vocab import Vocabulary, core_vocabularies

__all__ = [
    "CHECKS",
    "ProgrammeCheck",
    "ProgrammeRules",
    "Rule",
    "RuleResult",
    "check_programme",
    "default_rules",
    "default_year",
    "load_rules",
    "parse_rules",
]

#: Check -> the parameters it takes (names as in the rules file).
CHECKS: Final[Mapping[str, tuple[str, ...]]] = {
    "meeting-count": ("meeting_kind", "min", "max"),
    "meeting-duration": ("meeting_kind", "min_minutes", "max_minutes"),
    "outside-speakers": ("meeting_kind", "min", "max"),
    "workshops": ("meeting_kind", "min", "max"),
    "production-count": ("production_kinds", "min", "max"),
}
_PARAMETERS: Final = ("meeting_kind", "production_kinds", "min", "max", "min_minutes",
                      "max_minutes")
_LANGS: Final = ("fr", "en")


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


@attrs.define(kw_only=True, frozen=True)
class RuleResult:
    """Whether one rule is met, what it expects and what was found, and on which records.

    ``meetings``: for a count, the meetings counted; for a rule on each meeting, the meetings
    that break it, or, when none does, all those checked. ``productions``: the productions
    counted by a ``production-count`` rule.
    """

    code: str
    label: str
    met: bool
    expected: str
    found: str
    meetings: tuple[str, ...] = ()
    productions: tuple[str, ...] = ()
    message: str

    def to_json(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"code": self.code, "label": self.label, "met": self.met,
                "expected": self.expected, "found": self.found, "meetings": list(self.meetings),
                "productions": list(self.productions), "message": self.message}


@attrs.define(kw_only=True, frozen=True)
class ProgrammeCheck:
    """Every rule's result for a year, and the problems of the data met on the way."""

    year: int
    title: str
    results: tuple[RuleResult, ...]
    issues: tuple[Issue, ...] = ()
    #: The language of the labels and messages, and of :meth:`render_text`.
    lang: str = "fr"

    @property
    def met(self) -> bool:
        """True when every rule is met."""
        return all(result.met for result in self.results)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready (``pmae programme check --format json``)."""
        return {"year": self.year, "rules": self.title, "met": self.met,
                "results": [r.to_json() for r in self.results],
                "issues": [i.to_dict() for i in self.issues]}

    def render_text(self) -> str:
        """One block per rule, ``✔`` or ``✘`` first, then a count of the rules met."""
        words = _WORDS[self.lang]
        lines = [f"Programme {self.year} — {self.title}"]
        for r in self.results:
            lines.append(f"{'✔' if r.met else '✘'} {r.code} · {r.label}{words['colon']}"
                         f"{words['expected']} {r.expected}, {words['found']} {r.found}")
            lines.append(f"    {r.message}")
            named = [m for m in r.meetings if m not in r.message]
            if named:
                lines.append(f"    {words['meetings']}{', '.join(named)}")
            if r.productions:
                lines.append(f"    {words['productions']}{', '.join(r.productions)}")
        met = sum(1 for r in self.results if r.met)
        lines.append(words["summary"].format(met=met, total=len(self.results)))
        return "\n".join(lines) + "\n"


_WORDS: Final[Mapping[str, Mapping[str, Any]]] = {
    "fr": {
        "colon": " : ", "expected": "attendu", "found": "constaté", "meetings": "réunions : ",
        "productions": "productions : ", "summary": "Règles respectées : {met} sur {total}",
        "counted": "réunions de type « {kind} » comptées en {year} : {n}",
        "productions_counted": "productions collectives comptées pour {year} : {n}",
        "none_checked": "aucune réunion de type « {kind} » à vérifier en {year}",
        "all_ok": "réunions de type « {kind} » vérifiées en {year} : {n}, toutes conformes",
        "broken": "hors règle : {which}",
        "outside": ("aucun intervenant extérieur", "intervenant extérieur",
                    "intervenants extérieurs"),
        "workshop": ("aucun atelier", "atelier", "ateliers"),
    },
    "en": {
        "colon": ": ", "expected": "expected", "found": "found", "meetings": "meetings: ",
        "productions": "productions: ", "summary": "Rules met: {met} of {total}",
        "counted": "meetings of kind “{kind}” counted in {year}: {n}",
        "productions_counted": "collective productions counted for {year}: {n}",
        "none_checked": "no meeting of kind “{kind}” to check in {year}",
        "all_ok": "meetings of kind “{kind}” checked in {year}: {n}, all in line",
        "broken": "breaking the rule: {which}",
        "outside": ("no outside speaker", "outside speaker", "outside speakers"),
        "workshop": ("no workshop", "workshop", "workshops"),
    },
}


def _count(n: int, forms: tuple[str, str, str]) -> str:
    return forms[0] if n == 0 else f"{n} {forms[1] if n == 1 else forms[2]}"


def _duration(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest:02d}" if rest else f"{hours} h"


def _bounds(low: int | None, high: int | None, show: Callable[[int], str] = str) -> str:
    if low is not None and high is not None:
        return f"= {show(low)}" if low == high else f"{show(low)}–{show(high)}"
    if low is not None:
        return f"≥ {show(low)}"
    return f"≤ {show(high)}" if high is not None else "—"


def _within(value: int, low: int | None, high: int | None) -> bool:
    return (low is None or value >= low) and (high is None or value <= high)


# --- the rules as data ------------------------------------------------------------------------

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


def load_rules(path: str | os.PathLike[str]) -> tuple[ProgrammeRules | None, list[Issue]]:
    """Read a region's rules file and apply it to pmae's defaults; see :func:`parse_rules`."""
    try:
        document = read_document(path)
    except DocumentError as error:
        return None, [error.issue]
    return parse_rules(document.data, file=os.fspath(path))


def parse_rules(data: Any, *, file: str | None = None) -> tuple[ProgrammeRules | None, list[Issue]]:
    """Check a rules document and build the rules it gives.

    A rule with ``check`` is defined whole; one without changes the default rule of the same
    code (the fields given replace the default's); ``"enabled": false`` drops a rule. Unless the
    document says ``"defaults": false``, it starts from pmae's default rules.

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
                                message=f"the rule '{code}' is given twice",
                                hint="give each rule once"))
            continue
        seen.add(code)
        if "check" in entry:
            rule = dict(entry)
        elif code in base:
            rule = {**base[code], **entry}
        else:
            issues.append(Issue(
                code="missing-field", path=at("check", missing=True), file=file,
                message=f"'check' is required: '{code}' is not one of the default rules",
                hint="give check, label_fr and label_en for a new rule, or use the code of a "
                     "default rule (see docs/programme.md)"))
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
              message=f"'{name}' is not a parameter of the check '{check}' (rule '{code}')",
              hint=f"the parameters of '{check}' are {', '.join(allowed)}")
        for name in _PARAMETERS if name in rule and name not in allowed]
    if "meeting_kind" in allowed and "meeting_kind" not in rule:
        issues.append(Issue(code="missing-field", path=at("meeting_kind", missing=True),
                            file=file,
                            message=f"'meeting_kind' is required by the check '{check}'"))
    low, high = ("min_minutes", "max_minutes") if check == "meeting-duration" else ("min", "max")
    if low not in rule and high not in rule:
        issues.append(Issue(code="missing-field", path=at(low, missing=True), file=file,
                            message=f"'{low}' or '{high}' is required by the check '{check}'"))
    elif low in rule and high in rule and rule[low] > rule[high]:
        issues.append(Issue(code="min-above-max", path=at(low if low in rule else high),
                            file=file, message=f"'{low}' ({rule[low]}) is above '{high}' "
                                               f"({rule[high]}) in the rule '{code}'"))
    return issues


def _build(rule: Mapping[str, Any]) -> Rule:
    return Rule(code=rule["code"], check=rule["check"], label_fr=rule["label_fr"],
                label_en=rule["label_en"], meeting_kind=rule.get("meeting_kind"),
                production_kinds=tuple(rule.get("production_kinds", ())),
                min_count=rule.get("min"), max_count=rule.get("max"),
                min_minutes=rule.get("min_minutes"), max_minutes=rule.get("max_minutes"))


# --- the check ----------------------------------------------------------------------------


def default_year(bundle: Bundle, today: dt.date | None = None) -> int:
    """The year to check when none is given: the latest programme's, else the latest meeting's,
    else this year."""
    if bundle.programmes:
        return max(p.year for p in bundle.programmes)
    if bundle.meetings:
        return max(m.start.year for m in bundle.meetings)
    return (today or dt.date.today()).year


def check_programme(
    bundle: Bundle, year: int, rules: ProgrammeRules | None = None, *,
    today: dt.date | None = None, lang: str = "fr",
    vocabularies: Mapping[str, Vocabulary] | None = None,
) -> ProgrammeCheck:
    """Check the meetings and productions of ``year`` in ``bundle`` against ``rules``.

    :param rules: pmae's default rules when ``None``.
    :param today: the day the check is made (decides whether the year is over); today by default.
    :param lang: language of the labels and messages, ``fr`` or ``en``.
    :param vocabularies: where meeting kinds get their labels (pmae's core ones by default).
    :returns: every rule's result; ``issues`` holds warnings about the data (a meeting still
        planned after its date), never the unmet rules, which are the results.
    """
    if lang not in _LANGS:
        raise ValueError(f"unknown language {lang!r}: expected 'fr' or 'en'")
    rules = rules or default_rules()
    today = today or dt.date.today()
    year_over = today.year > year
    issues: list[Issue] = []
    meetings: list[Meeting] = []
    for index, meeting in enumerate(bundle.meetings):
        if meeting.start.year != year or meeting.status == "annulee":
            continue
        if meeting.status == "prevue":
            if meeting.end.date() < today:
                issues.append(Issue(
                    code="outdated-status", severity="warning",
                    path=json_path(["meetings", index, "status"]),
                    message=f"the meeting '{meeting.id}' of {meeting.start.date().isoformat()} "
                            f"is still 'prevue'"
                            + (": it is not counted, the year is over" if year_over else "")))
            if year_over:
                continue
        meetings.append(meeting)
    meetings.sort(key=lambda m: (m.start, m.id))
    counted = ("publiee",) if year_over else ("publiee", "en_cours", "prevue")
    productions = sorted((p for p in bundle.productions
                          if p.year == year and p.status in counted), key=lambda p: p.id)
    kinds = (vocabularies or core_vocabularies()).get("meeting_kinds")
    results = tuple(
        _evaluate(rule, year, lang, meetings, productions,
                  kinds.label(rule.meeting_kind, lang) if kinds and rule.meeting_kind
                  else rule.meeting_kind or "")
        for rule in rules.rules)
    return ProgrammeCheck(year=year, title=rules.title(lang), results=results,
                          issues=tuple(issues), lang=lang)


#: Check -> what it measures on one meeting, and how a value is shown (by language).
_MEASURES: Final[Mapping[str, tuple[Callable[[Meeting], int], Callable[[str, int], str]]]] = {
    "meeting-duration": (lambda m: int((m.end - m.start).total_seconds() // 60),
                         lambda lang, n: _duration(n)),
    "outside-speakers": (lambda m: sum(1 for s in m.speakers if s.outside),
                         lambda lang, n: _count(n, _WORDS[lang]["outside"])),
    "workshops": (lambda m: len(m.workshops),
                  lambda lang, n: _count(n, _WORDS[lang]["workshop"])),
}


def _evaluate(rule: Rule, year: int, lang: str, meetings: Sequence[Meeting],
              productions: Sequence[Production], kind: str) -> RuleResult:
    words = _WORDS[lang]
    low, high = rule.min_count, rule.max_count
    result = functools.partial(RuleResult, code=rule.code, label=rule.label(lang))
    if rule.check == "production-count":
        chosen = [p.id for p in productions
                  if not rule.production_kinds or p.kind in rule.production_kinds]
        return result(met=_within(len(chosen), low, high), expected=_bounds(low, high),
                      found=str(len(chosen)), productions=tuple(chosen),
                      message=words["productions_counted"].format(n=len(chosen), year=year))
    of_kind = [m for m in meetings if m.kind == rule.meeting_kind]
    ids = tuple(m.id for m in of_kind)
    if rule.check == "meeting-count":
        return result(met=_within(len(ids), low, high), expected=_bounds(low, high),
                      found=str(len(ids)), meetings=ids,
                      message=words["counted"].format(n=len(ids), kind=kind, year=year))
    value, show = _MEASURES[rule.check]
    if rule.check == "meeting-duration":
        low, high = rule.min_minutes, rule.max_minutes
    failing = [m for m in of_kind if not _within(value(m), low, high)]
    if not of_kind:
        message = words["none_checked"].format(kind=kind, year=year)
    elif not failing:
        message = words["all_ok"].format(n=len(of_kind), kind=kind, year=year)
    else:
        message = words["broken"].format(
            which=", ".join(f"{m.id} ({show(lang, value(m))})" for m in failing))
    expected = _bounds(low, high, _duration if rule.check == "meeting-duration" else str)
    return result(met=not failing, expected=expected,
                  found=f"{len(of_kind) - len(failing)}/{len(of_kind)}",
                  meetings=tuple(m.id for m in failing) or ids, message=message)
