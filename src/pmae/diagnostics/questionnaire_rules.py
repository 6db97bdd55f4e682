"""The rules of the questionnaire format that a JSON Schema cannot say: unique ids, known
codes, bands and levels in order, scores within the scale (the second layer of checks)."""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from typing import Any

from pmae.i18n import gettext as _
from pmae.issues import Issue
from pmae.jsonpath import json_path
from pmae.vocab import Vocabulary

#: The level of a dimension with too few answers to be assessed.
NOT_ASSESSED = "non_evalue"


class QuestionnaireRules:
    """The rules of the format a JSON Schema cannot express, on a schema-valid document.

    ``QuestionnaireRules(data, file, vocabularies).run()`` returns every issue found.
    """

    def __init__(self, data: Mapping[str, Any], file: str | None,
                 vocabularies: Mapping[str, Vocabulary]) -> None:
        self.data = data
        self.file = file
        self.vocabularies = vocabularies
        self.issues: list[Issue] = []
        self.best = max(option["value"] for option in data["scale"])

    def add(self, code: str, parts: Sequence[str | int], message: str,
            hint: str | None = None) -> None:
        self.issues.append(Issue(code=code, path=json_path(parts), message=message, hint=hint,
                                 file=self.file))

    def run(self) -> list[Issue]:
        data = self.data
        self.unique([("scale", i, "value") for i in range(len(data["scale"]))],
                    [option["value"] for option in data["scale"]],
                    _("scale value {value!r} is given twice"),
                    _("give each step of the scale its own value"))
        self.levels()
        self.codes(("alerts", "orient_to"), data.get("alerts", {}).get("orient_to", ()),
                   "actor_types")
        respondents = set(data.get("respondents", ()))
        dimension_ids: dict[str, int] = {}
        question_ids: dict[str, tuple[int, int]] = {}
        for d, dimension in enumerate(data["dimensions"]):
            if dimension["id"] in dimension_ids:
                self.add("duplicate-id", ("dimensions", d, "id"),
                         _("dimension id '{id}' is already used by {where}").format(
                             id=dimension["id"],
                             where=json_path(("dimensions", dimension_ids[dimension["id"]]))),
                         hint=_("give each dimension its own id"))
            else:
                dimension_ids[dimension["id"]] = d
            self.codes(("dimensions", d, "themes"), dimension["themes"], "themes")
            for q, question in enumerate(dimension["questions"]):
                where: tuple[str | int, ...] = ("dimensions", d, "questions", q)
                if question["id"] in question_ids:
                    first = question_ids[question["id"]]
                    self.add("duplicate-id", (*where, "id"),
                             _("question id '{id}' is already used by {where}").format(
                                 id=question["id"],
                                 where=json_path(("dimensions", first[0], "questions",
                                                  first[1]))),
                             hint=_("give each question its own id"))
                else:
                    question_ids[question["id"]] = (d, q)
                self.codes((*where, "themes"), question.get("themes", ()), "themes")
                respondent = question.get("respondent")
                if respondents and respondent is not None and respondent not in respondents:
                    self.add("unknown-code", (*where, "respondent"),
                             _("'{respondent}' is not one of the tool's respondents").format(
                                 respondent=respondent),
                             hint=_("list it in $.respondents, or use one of: {known}").format(
                                 known=", ".join(sorted(respondents))))
                self.question(where, question)
        return self.issues

    def unique(self, paths: Sequence[tuple[str | int, ...]], values: Sequence[Any],
               message: str, hint: str) -> None:
        """A ``duplicate-id`` issue for each value given twice; ``message`` is translated
        already, with a ``{value!r}`` placeholder."""
        seen: set[Any] = set()
        for path, value in zip(paths, values, strict=True):
            if value in seen:
                self.add("duplicate-id", path, message.format(value=value), hint=hint)
            seen.add(value)

    def codes(self, parts: tuple[str | int, ...], codes: Sequence[str], vocabulary_id: str) -> None:
        vocabulary = self.vocabularies.get(vocabulary_id)
        if vocabulary is None:
            return
        for position, code in enumerate(codes):
            if code not in vocabulary:
                close = difflib.get_close_matches(code, vocabulary.codes(), n=1)
                self.add("unknown-code", (*parts, position),
                         _("'{code}' is not a code of the vocabulary '{vocabulary}'").format(
                             code=code, vocabulary=vocabulary_id),
                         hint=(_("did you mean '{close}'? see `pmae vocab {vocabulary}`")
                               if close else _("see `pmae vocab {vocabulary}`")).format(
                             close=close[0] if close else "", vocabulary=vocabulary_id))

    def score(self, parts: tuple[str | int, ...], score: int) -> None:
        if score > self.best:
            self.add("out-of-range", parts,
                     _("score {score} is above the best score {best} (the scale's highest "
                       "value)").format(score=score, best=self.best),
                     hint=_("give a score between 0 and {best}").format(best=self.best))

    def question(self, where: tuple[str | int, ...], question: Mapping[str, Any]) -> None:
        kind = question.get("kind", "scale")
        # Fields of another kind would be silently ignored by the engine: refuse them.
        allowed = {"scale": set(), "number": {"bands", "minimum", "maximum", "unit"},
                   "choice": {"choices"}}[kind]
        for field in ("bands", "minimum", "maximum", "unit", "choices"):
            if field in question and field not in allowed:
                self.add("field-of-other-kind", (*where, field),
                         _("'{field}' does not apply to a {kind} question").format(
                             field=field, kind=kind),
                         hint=_("bands, minimum, maximum and unit are for number questions, "
                                "choices for choice questions; remove it or set the kind"))
        if kind == "number":
            self.bands(where, question)
        elif kind == "choice":
            choices = question["choices"]
            self.unique([(*where, "choices", i, "value") for i in range(len(choices))],
                        [choice["value"] for choice in choices],
                        _("choice value {value!r} is given twice"),
                        _("give each choice its own value"))
            for i, choice in enumerate(choices):
                self.score((*where, "choices", i, "score"), choice["score"])

    def bands(self, where: tuple[str | int, ...], question: Mapping[str, Any]) -> None:
        minimum, maximum = question.get("minimum"), question.get("maximum")
        if minimum is not None and maximum is not None and minimum > maximum:
            self.add("invalid-value", (*where, "maximum"),
                     _("maximum {maximum} is below minimum {minimum}").format(
                         maximum=maximum, minimum=minimum),
                     hint=_("swap minimum and maximum"))
        bands = question["bands"]
        for i, band in enumerate(bands):
            self.score((*where, "bands", i, "score"), band["score"])
        previous: Mapping[str, Any] | None = None
        for i, band in enumerate(bands):
            last = i == len(bands) - 1
            if "upto" not in band:
                if not last:
                    self.add("invalid-bands", (*where, "bands", i),
                             _("only the last band may have no 'upto': the bands after it "
                               "could never apply"),
                             hint=_("give this band an 'upto', or move it last"))
                continue
            if last:
                self.add("invalid-bands", (*where, "bands"),
                         _("the last band must have no 'upto', so that every number scores"),
                         hint=_("add a final band {band} for the values above the "
                                "others").format(band='{"score": …}'))
            if previous is not None and _band_end(band) <= _band_end(previous):
                self.add("invalid-bands", (*where, "bands", i, "upto"),
                         _("bands must be in increasing order of 'upto': {upto} does not "
                           "come after {previous}").format(upto=band["upto"],
                                                           previous=previous["upto"]),
                         hint=_("sort the bands by 'upto', lowest first"))
            previous = band

    def levels(self) -> None:
        levels = self.data["scoring"]["levels"]
        self.unique([("scoring", "levels", i, "code") for i in range(len(levels))],
                    [level["code"] for level in levels],
                    _("level code {value!r} is given twice"),
                    _("give each level its own code"))
        previous: float | None = None
        for i, level in enumerate(levels):
            where = ("scoring", "levels", i)
            if level["code"] == NOT_ASSESSED:
                self.add("invalid-value", (*where, "code"),
                         _("'{code}' is the level of dimensions not assessed").format(
                             code=NOT_ASSESSED),
                         hint=_("choose another code"))
            last = i == len(levels) - 1
            below = level.get("below")
            if below is None:
                if not last:
                    self.add("invalid-levels", where,
                             _("only the last level may have no 'below': the levels after "
                               "it could never apply"),
                             hint=_("give this level a 'below', or move it last"))
                continue
            if last:
                self.add("invalid-levels", ("scoring", "levels"),
                         _("the last level must have no 'below', so that every score has "
                           "a level"),
                         hint=_("add a final level for the highest scores"))
            if previous is not None and below <= previous:
                self.add("invalid-levels", (*where, "below"),
                         _("levels must be in increasing order of 'below': {below} does not "
                           "come after {previous}").format(below=below, previous=previous),
                         hint=_("sort the levels, lowest first"))
            previous = below


def _band_end(band: Mapping[str, Any]) -> tuple[float, int]:
    # "< 3" ends before "<= 3", which ends before "< 3.1": an inclusive band reaches a little
    # further than an exclusive one with the same upto.
    return float(band["upto"]), 1 if band.get("inclusive", False) else 0


