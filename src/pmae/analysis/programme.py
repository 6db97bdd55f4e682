"""The check of a year against the rules of the annual programme.

What counts in a year (decided here, documented in ``docs/programme.md``): a meeting belongs to
the year its start falls in (in its own time offset); a cancelled meeting (``annulee``) never
counts; a planned one (``prevue``) counts only while the year is not over relative to the
reference date; a production belongs to its ``year``, counts when published, and, while the year
is not over, when planned or in progress too.

The rules are data (:mod:`pmae.analysis.programme_rules`); the outcome is data too
(:class:`ProgrammeCheck`): :func:`pmae.render.programme.describe_programme` words it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Final

import attrs

from pmae.analysis.programme_rules import (
    CHECKS,
    DEFAULT_RULES_FILE,
    ProgrammeRules,
    Rule,
    default_rules,
    parse_rules,
)
from pmae.i18n import gettext as _
from pmae.issues import Issue
from pmae.jsonpath import json_path
from pmae.model import Bundle, Meeting, Production
from pmae.sessions import session as current_session

if TYPE_CHECKING:
    from pmae.sessions import Session

__all__ = [
    "CHECKS",
    "DEFAULT_RULES_FILE",
    "MEASURES",
    "ProgrammeCheck",
    "ProgrammeRules",
    "Rule",
    "RuleOutcome",
    "check_programme",
    "default_rules",
    "default_year",
    "parse_rules",
]


@attrs.define(kw_only=True, frozen=True)
class RuleOutcome:
    """What one rule found in the year.

    ``counted``: for a count, the records counted (meetings, productions for a
    ``production-count`` rule, responses decided in the year for a ``response-count`` rule);
    for a rule on each meeting, the meetings of its kind checked.
    ``failing``: for a rule on each meeting, each meeting that breaks it with the value measured
    (minutes, outside speakers or workshops), in the order of the meetings.
    """

    rule: Rule
    met: bool
    counted: tuple[str, ...] = ()
    failing: tuple[tuple[str, int], ...] = ()

    @property
    def bounds(self) -> tuple[int | None, int | None]:
        """The rule's ``(min, max)``: minutes for ``meeting-duration``, else counts."""
        if self.rule.check == "meeting-duration":
            return self.rule.min_minutes, self.rule.max_minutes
        return self.rule.min_count, self.rule.max_count


@attrs.define(kw_only=True, frozen=True)
class ProgrammeCheck:
    """Every rule's outcome for a year, and the problems of the data met on the way."""

    year: int
    rules: ProgrammeRules
    outcomes: tuple[RuleOutcome, ...]
    #: Warnings about the data (a meeting still planned after its date), never the unmet
    #: rules, which are the outcomes.
    issues: tuple[Issue, ...] = ()

    @property
    def met(self) -> bool:
        """True when every rule is met."""
        return all(outcome.met for outcome in self.outcomes)


#: Check on each meeting -> what it measures on one meeting.
MEASURES: Final[Mapping[str, Callable[[Meeting], int]]] = {
    "meeting-duration": lambda m: int((m.end - m.start).total_seconds() // 60),
    "outside-speakers": lambda m: sum(1 for s in m.speakers if s.outside),
    "workshops": lambda m: len(m.workshops),
}


def default_year(bundle: Bundle, today: dt.date | None = None, *,
                 session: Session | None = None) -> int:
    """The year to check when none is given: the latest programme's, else the latest meeting's,
    else the year of ``today`` (default: the session's reference date)."""
    if bundle.programmes:
        return max(p.year for p in bundle.programmes)
    if bundle.meetings:
        return max(m.start.year for m in bundle.meetings)
    return (today or current_session(session).as_of).year


def check_programme(
    bundle: Bundle, year: int, rules: ProgrammeRules | None = None, *,
    today: dt.date | None = None, session: Session | None = None,
) -> ProgrammeCheck:
    """Check the meetings and productions of ``year`` in ``bundle`` against ``rules``.

    :param rules: pmae's default rules when ``None``.
    :param today: the day the check is made (decides whether the year is over); default: the
        session's reference date (``as_of``).
    :param session: default :func:`pmae.session`.
    """
    rules = rules or default_rules()
    today = today or current_session(session).as_of
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
                    message=(_("the meeting '{id}' of {date} is still 'prevue': it is not "
                               "counted, the year is over") if year_over else
                             _("the meeting '{id}' of {date} is still 'prevue'")).format(
                                 id=meeting.id, date=meeting.start.date().isoformat())))
            if year_over:
                continue
        meetings.append(meeting)
    meetings.sort(key=lambda m: (m.start, m.id))
    counted = ("publiee",) if year_over else ("publiee", "en_cours", "prevue")
    productions = sorted((p for p in bundle.productions
                          if p.year == year and p.status in counted), key=lambda p: p.id)
    # A response counts in the year it was decided, whatever became of it since.
    decided = tuple(sorted(r.id for r in bundle.responses if r.decided_on is not None
                           and r.decided_on.year == year and r.status != "envisagee"))
    return ProgrammeCheck(year=year, rules=rules, issues=tuple(issues), outcomes=tuple(
        _evaluate(rule, meetings, productions, decided) for rule in rules.rules))


def _within(value: int, low: int | None, high: int | None) -> bool:
    return (low is None or value >= low) and (high is None or value <= high)


def _evaluate(rule: Rule, meetings: Sequence[Meeting],
              productions: Sequence[Production], decided: tuple[str, ...]) -> RuleOutcome:
    low, high = rule.min_count, rule.max_count
    if rule.check == "response-count":
        return RuleOutcome(rule=rule, met=_within(len(decided), low, high), counted=decided)
    if rule.check == "production-count":
        chosen = tuple(p.id for p in productions
                       if not rule.production_kinds or p.kind in rule.production_kinds)
        return RuleOutcome(rule=rule, met=_within(len(chosen), low, high), counted=chosen)
    of_kind = [m for m in meetings if m.kind == rule.meeting_kind]
    ids = tuple(m.id for m in of_kind)
    if rule.check == "meeting-count":
        return RuleOutcome(rule=rule, met=_within(len(ids), low, high), counted=ids)
    measure = MEASURES[rule.check]
    if rule.check == "meeting-duration":
        low, high = rule.min_minutes, rule.max_minutes
    failing = tuple((m.id, measure(m)) for m in of_kind if not _within(measure(m), low, high))
    return RuleOutcome(rule=rule, met=not failing, counted=ids, failing=failing)
