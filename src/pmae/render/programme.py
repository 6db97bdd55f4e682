"""The check of a programme year (:func:`pmae.analysis.programme.check_programme`) in words.

:func:`describe_programme` gives each rule its label, what it expects, what was found and a
message naming the meetings at fault, in French or English; :func:`programme_text` prints that
for a terminal, :meth:`ProgrammeResults.to_json` for ``--format json``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final

import attrs

from pmae.analysis.programme import ProgrammeCheck, RuleOutcome
from pmae.issues import Issue
from pmae.sessions import session as current_session
from pmae.vocab import Vocabulary

if TYPE_CHECKING:
    from pmae.sessions import Session

__all__ = ["ProgrammeResults", "RuleResult", "describe_programme", "programme_text"]

_WORDS: Final[Mapping[str, Mapping[str, Any]]] = {
    "fr": {
        "colon": " : ", "expected": "attendu", "found": "constaté", "meetings": "réunions : ",
        "productions": "productions : ", "summary": "Règles respectées : {met} sur {total}",
        "counted": "réunions de type « {kind} » comptées en {year} : {n}",
        "productions_counted": "productions collectives comptées pour {year} : {n}",
        "responses_counted": "réponses collectives décidées en {year} : {n}{ids}",
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
        "responses_counted": "collective responses decided in {year}: {n}{ids}",
        "none_checked": "no meeting of kind “{kind}” to check in {year}",
        "all_ok": "meetings of kind “{kind}” checked in {year}: {n}, all in line",
        "broken": "breaking the rule: {which}",
        "outside": ("no outside speaker", "outside speaker", "outside speakers"),
        "workshop": ("no workshop", "workshop", "workshops"),
    },
}


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
class ProgrammeResults:
    """Every rule's result for a year in words, and the problems of the data met on the way."""

    year: int
    title: str
    results: tuple[RuleResult, ...]
    issues: tuple[Issue, ...] = ()
    #: The language of the labels and messages.
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


def describe_programme(check: ProgrammeCheck, *, lang: str | None = None,
                       vocabularies: Mapping[str, Vocabulary] | None = None,
                       session: Session | None = None) -> ProgrammeResults:
    """The results of ``check`` in words.

    :param lang: ``fr`` or ``en`` (default: the session's language).
    :param vocabularies: where meeting kinds get their labels (default: the session's).
    :param session: default :func:`pmae.session`.
    :raises ValueError: an unknown language.
    """
    s = current_session(session)
    lang = lang or s.lang
    if lang not in _WORDS:
        raise ValueError(f"unknown language {lang!r}: expected 'fr' or 'en'")
    kinds = (vocabularies or s.vocabularies).get("meeting_kinds")
    results = tuple(
        _describe(outcome, check.year, lang,
                  kinds.label(outcome.rule.meeting_kind, lang)
                  if kinds and outcome.rule.meeting_kind else outcome.rule.meeting_kind or "")
        for outcome in check.outcomes)
    return ProgrammeResults(year=check.year, title=check.rules.title(lang), results=results,
                            issues=check.issues, lang=lang)


def programme_text(results: ProgrammeResults) -> str:
    """One block per rule, ``✔`` or ``✘`` first, then a count of the rules met."""
    words = _WORDS[results.lang]
    lines = [f"Programme {results.year} — {results.title}"]
    for r in results.results:
        lines.append(f"{'✔' if r.met else '✘'} {r.code} · {r.label}{words['colon']}"
                     f"{words['expected']} {r.expected}, {words['found']} {r.found}")
        lines.append(f"    {r.message}")
        named = [m for m in r.meetings if m not in r.message]
        if named:
            lines.append(f"    {words['meetings']}{', '.join(named)}")
        if r.productions:
            lines.append(f"    {words['productions']}{', '.join(r.productions)}")
    met = sum(1 for r in results.results if r.met)
    lines.append(words["summary"].format(met=met, total=len(results.results)))
    return "\n".join(lines) + "\n"


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


#: Check on each meeting -> how a measured value is shown, by language.
_SHOW: Final[Mapping[str, Callable[[str, int], str]]] = {
    "meeting-duration": lambda lang, n: _duration(n),
    "outside-speakers": lambda lang, n: _count(n, _WORDS[lang]["outside"]),
    "workshops": lambda lang, n: _count(n, _WORDS[lang]["workshop"]),
}


def _describe(outcome: RuleOutcome, year: int, lang: str, kind: str) -> RuleResult:
    words, rule = _WORDS[lang], outcome.rule
    low, high = outcome.bounds
    counted = outcome.counted
    if rule.check == "production-count":
        return RuleResult(code=rule.code, label=rule.label(lang), met=outcome.met,
                          expected=_bounds(low, high), found=str(len(counted)),
                          productions=counted, message=words["productions_counted"].format(
                              n=len(counted), year=year))
    if rule.check == "response-count":
        ids = f" ({', '.join(counted)})" if counted else ""
        return RuleResult(code=rule.code, label=rule.label(lang), met=outcome.met,
                          expected=_bounds(low, high), found=str(len(counted)),
                          message=words["responses_counted"].format(n=len(counted), year=year,
                                                                    ids=ids))
    if rule.check == "meeting-count":
        return RuleResult(code=rule.code, label=rule.label(lang), met=outcome.met,
                          expected=_bounds(low, high), found=str(len(counted)), meetings=counted,
                          message=words["counted"].format(n=len(counted), kind=kind, year=year))
    failing = outcome.failing
    if not counted:
        message = words["none_checked"].format(kind=kind, year=year)
    elif not failing:
        message = words["all_ok"].format(n=len(counted), kind=kind, year=year)
    else:
        show = _SHOW[rule.check]
        message = words["broken"].format(
            which=", ".join(f"{meeting} ({show(lang, value)})" for meeting, value in failing))
    expected = _bounds(low, high, _duration if rule.check == "meeting-duration" else str)
    return RuleResult(code=rule.code, label=rule.label(lang), met=outcome.met,
                      expected=expected, found=f"{len(counted) - len(failing)}/{len(counted)}",
                      meetings=tuple(m for m, _ in failing) or counted, message=message)
