"""The questionnaire format of diagnostic tools: the values, and how a document becomes one.

A questionnaire is checked in two layers, both reported as :class:`~pmae.issues.Issue` values
with JSON paths into the document: ``schemas/questionnaire.schema.json`` (shape, types,
ranges), then the rules a schema cannot say (unique ids, known codes, bands and levels in
order, scores within the scale). Only a questionnaire that passes both is built, so the engine
never meets a malformed one.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import attrs

from pmae.io.schema_issues import document_issues
from pmae.io.schemas import validator
from pmae.issues import Issue
from pmae.jsonpath import json_path
from pmae.vocab import Vocabulary, core_vocabularies

__all__ = [
    "NOT_ASSESSED",
    "Band",
    "Choice",
    "Dimension",
    "Level",
    "LocalText",
    "Question",
    "Questionnaire",
    "QuestionnaireError",
    "ScaleOption",
    "load_questionnaire",
    "parse_questionnaire",
]

#: The level of a dimension with too few answers to be assessed.
NOT_ASSESSED = "non_evalue"

_DEFAULT_UNKNOWN = {"fr": "Ne sait pas", "en": "Don't know"}


@attrs.define(kw_only=True, frozen=True)
class LocalText:
    """A text in French and, when given, in English."""

    fr: str
    en: str = ""

    def get(self, lang: str = "fr") -> str:
        """The text in ``lang``; French when there is no English text."""
        return self.en if lang == "en" and self.en else self.fr


@attrs.define(kw_only=True, frozen=True)
class ScaleOption:
    """One step of the answer scale: its value (also its score) and its label."""

    value: int
    label: LocalText


@attrs.define(kw_only=True, frozen=True)
class Band:
    """A range of a number question: values under ``upto`` (or up to it, ``inclusive``) score
    ``score``; the last band has no ``upto`` and takes every value left."""

    score: int
    upto: float | None = None
    inclusive: bool = False

    def holds(self, value: float) -> bool:
        """Whether ``value`` falls in this band (bands are tried in order)."""
        if self.upto is None:
            return True
        return value <= self.upto if self.inclusive else value < self.upto


@attrs.define(kw_only=True, frozen=True)
class Choice:
    """One answer of a choice question, and its score."""

    value: str
    score: int
    label: LocalText


@attrs.define(kw_only=True, frozen=True)
class Question:
    """One question: what is asked, how an answer scores, and what a low score says."""

    id: str
    text: LocalText
    kind: str = "scale"
    weight: int = 1
    themes: tuple[str, ...] = ()
    critical: bool = False
    stage: str | None = None
    respondent: str | None = None
    unit: LocalText | None = None
    minimum: float | None = None
    maximum: float | None = None
    bands: tuple[Band, ...] = ()
    choices: tuple[Choice, ...] = ()
    help: LocalText | None = None


@attrs.define(kw_only=True, frozen=True)
class Dimension:
    """A group of questions scored together; its first theme is its main theme."""

    id: str
    title: LocalText
    themes: tuple[str, ...]
    questions: tuple[Question, ...]
    stage: str | None = None


@attrs.define(kw_only=True, frozen=True)
class Level:
    """A level of a dimension: scores under ``below`` (the last level has none)."""

    code: str
    label: LocalText
    below: float | None = None


@attrs.define(kw_only=True, frozen=True)
class Questionnaire:
    """A diagnostic tool, checked: build it with :func:`parse_questionnaire`."""

    id: str
    version: str
    title: LocalText
    description: LocalText | None = None
    authors: tuple[str, ...] = ()
    licence: str | None = None
    respondents: tuple[str, ...] = ()
    scale: tuple[ScaleOption, ...]
    unknown_label: LocalText = attrs.field(factory=lambda: LocalText(**_DEFAULT_UNKNOWN))
    completeness: float = 0.6
    levels: tuple[Level, ...]
    min_intensity: float = 3
    top: int = 5
    stage: str = "conseil"
    alert_stage: str = "appui"
    orient_to: tuple[str, ...] = ()
    dimensions: tuple[Dimension, ...]
    # Built once: answers are looked up by question id for every diagnosis.
    _by_id: dict[str, tuple[Dimension, Question]] = attrs.field(
        init=False, eq=False, repr=False, factory=dict)

    def __attrs_post_init__(self) -> None:
        # Frozen class: the private index is filled through object.__setattr__.
        object.__setattr__(self, "_by_id", {
            question.id: (dimension, question)
            for dimension in self.dimensions for question in dimension.questions
        })

    @property
    def best(self) -> int:
        """The highest score a question can give: the scale's highest value."""
        return max(option.value for option in self.scale)

    def questions(self) -> Iterator[tuple[Dimension, Question]]:
        """Every question with its dimension, in the questionnaire's order."""
        for dimension in self.dimensions:
            for question in dimension.questions:
                yield dimension, question

    def question(self, id: str) -> Question:
        """The question ``id``.

        :raises KeyError: if the questionnaire has no such question.
        """
        try:
            return self._by_id[id][1]
        except KeyError:
            raise KeyError(f"no question {id!r} in questionnaire {self.id!r}") from None

    def dimension_of(self, id: str) -> Dimension:
        """The dimension question ``id`` belongs to.

        :raises KeyError: if the questionnaire has no such question.
        """
        try:
            return self._by_id[id][0]
        except KeyError:
            raise KeyError(f"no question {id!r} in questionnaire {self.id!r}") from None

    def themes_of(self, question: Question, dimension: Dimension) -> tuple[str, ...]:
        """The question's themes, or its dimension's when it has none of its own."""
        return question.themes or dimension.themes

    def stage_of(self, question: Question, dimension: Dimension) -> str:
        """The wished stage of a need the question raises: its own, its dimension's, the tool's."""
        return question.stage or dimension.stage or self.stage

    def scores_of(self, question: Question) -> tuple[int, ...]:
        """Every score an answer to ``question`` can give."""
        if question.kind == "number":
            return tuple(band.score for band in question.bands)
        if question.kind == "choice":
            return tuple(choice.score for choice in question.choices)
        return tuple(option.value for option in self.scale)

    def worst(self, question: Question) -> int:
        """The lowest score an answer to ``question`` can give (what raises a critical alert)."""
        return min(self.scores_of(question))


class QuestionnaireError(ValueError):
    """A questionnaire document is not valid; ``issues`` says every problem found."""

    def __init__(self, issues: Sequence[Issue]) -> None:
        self.issues = list(issues)
        shown = "; ".join(issue.render() for issue in self.issues[:3])
        more = f" (and {len(self.issues) - 3} more)" if len(self.issues) > 3 else ""
        super().__init__(f"invalid questionnaire: {shown}{more}")


def parse_questionnaire(
    data: Mapping[str, Any],
    *,
    file: str | None = None,
    vocabularies: Mapping[str, Vocabulary] | None = None,
) -> tuple[Questionnaire | None, list[Issue]]:
    """Check a questionnaire document and build it.

    :param file: the file the document came from, named in the issues.
    :param vocabularies: the vocabularies theme and actor-type codes must belong to (pmae's
        core vocabularies by default; pass a plugin manager's to allow plugins' codes).
    :returns: the questionnaire (``None`` if any error was found) and every issue.
    """
    if not validator("questionnaire").is_valid(data):
        return None, document_issues("questionnaire", data, file=file)
    issues = _Semantics(data, file, vocabularies or core_vocabularies()).run()
    if any(issue.severity == "error" for issue in issues):
        return None, issues
    return _build(data), issues


def load_questionnaire(data: Mapping[str, Any], **kw: Any) -> Questionnaire:
    """:func:`parse_questionnaire`, raising on the first invalid document.

    :raises QuestionnaireError: with every issue, if the document is not valid.
    """
    questionnaire, issues = parse_questionnaire(data, **kw)
    if questionnaire is None:
        raise QuestionnaireError(issues)
    return questionnaire


# --- semantic checks -------------------------------------------------------------------------


class _Semantics:
    """The rules of the format a JSON Schema cannot express, on a schema-valid document."""

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
                    [option["value"] for option in data["scale"]], "scale value",
                    "give each step of the scale its own value")
        self.levels()
        self.codes(("alerts", "orient_to"), data.get("alerts", {}).get("orient_to", ()),
                   "actor_types")
        respondents = set(data.get("respondents", ()))
        dimension_ids: dict[str, int] = {}
        question_ids: dict[str, tuple[int, int]] = {}
        for d, dimension in enumerate(data["dimensions"]):
            if dimension["id"] in dimension_ids:
                self.add("duplicate-id", ("dimensions", d, "id"),
                         f"dimension id '{dimension['id']}' is already used by "
                         f"{json_path(('dimensions', dimension_ids[dimension['id']]))}",
                         hint="give each dimension its own id")
            else:
                dimension_ids[dimension["id"]] = d
            self.codes(("dimensions", d, "themes"), dimension["themes"], "themes")
            for q, question in enumerate(dimension["questions"]):
                where: tuple[str | int, ...] = ("dimensions", d, "questions", q)
                if question["id"] in question_ids:
                    first = question_ids[question["id"]]
                    self.add("duplicate-id", (*where, "id"),
                             f"question id '{question['id']}' is already used by "
                             f"{json_path(('dimensions', first[0], 'questions', first[1]))}",
                             hint="give each question its own id")
                else:
                    question_ids[question["id"]] = (d, q)
                self.codes((*where, "themes"), question.get("themes", ()), "themes")
                respondent = question.get("respondent")
                if respondents and respondent is not None and respondent not in respondents:
                    self.add("unknown-code", (*where, "respondent"),
                             f"'{respondent}' is not one of the tool's respondents",
                             hint="list it in $.respondents, or use one of: "
                                  + ", ".join(sorted(respondents)))
                self.question(where, question)
        return self.issues

    def unique(self, paths: Sequence[tuple[str | int, ...]], values: Sequence[Any], what: str,
               hint: str) -> None:
        seen: set[Any] = set()
        for path, value in zip(paths, values, strict=True):
            if value in seen:
                self.add("duplicate-id", path, f"{what} {value!r} is given twice", hint=hint)
            seen.add(value)

    def codes(self, parts: tuple[str | int, ...], codes: Sequence[str], vocabulary_id: str) -> None:
        vocabulary = self.vocabularies.get(vocabulary_id)
        if vocabulary is None:
            return
        for position, code in enumerate(codes):
            if code not in vocabulary:
                close = difflib.get_close_matches(code, vocabulary.codes(), n=1)
                self.add("unknown-code", (*parts, position),
                         f"'{code}' is not a code of the vocabulary '{vocabulary_id}'",
                         hint=(f"did you mean '{close[0]}'? " if close else "")
                         + f"see `pmae vocab {vocabulary_id}`")

    def score(self, parts: tuple[str | int, ...], score: int) -> None:
        if score > self.best:
            self.add("out-of-range", parts,
                     f"score {score} is above the best score {self.best} (the scale's highest "
                     "value)", hint=f"give a score between 0 and {self.best}")

    def question(self, where: tuple[str | int, ...], question: Mapping[str, Any]) -> None:
        kind = question.get("kind", "scale")
        # Fields of another kind would be silently ignored by the engine: refuse them.
        allowed = {"scale": set(), "number": {"bands", "minimum", "maximum", "unit"},
                   "choice": {"choices"}}[kind]
        for field in ("bands", "minimum", "maximum", "unit", "choices"):
            if field in question and field not in allowed:
                self.add("field-of-other-kind", (*where, field),
                         f"'{field}' does not apply to a {kind} question",
                         hint="bands, minimum, maximum and unit are for number questions, "
                              "choices for choice questions; remove it or set the kind")
        if kind == "number":
            self.bands(where, question)
        elif kind == "choice":
            choices = question["choices"]
            self.unique([(*where, "choices", i, "value") for i in range(len(choices))],
                        [choice["value"] for choice in choices], "choice value",
                        "give each choice its own value")
            for i, choice in enumerate(choices):
                self.score((*where, "choices", i, "score"), choice["score"])

    def bands(self, where: tuple[str | int, ...], question: Mapping[str, Any]) -> None:
        minimum, maximum = question.get("minimum"), question.get("maximum")
        if minimum is not None and maximum is not None and minimum > maximum:
            self.add("invalid-value", (*where, "maximum"),
                     f"maximum {maximum} is below minimum {minimum}",
                     hint="swap minimum and maximum")
        bands = question["bands"]
        for i, band in enumerate(bands):
            self.score((*where, "bands", i, "score"), band["score"])
        previous: Mapping[str, Any] | None = None
        for i, band in enumerate(bands):
            last = i == len(bands) - 1
            if "upto" not in band:
                if not last:
                    self.add("invalid-bands", (*where, "bands", i),
                             "only the last band may have no 'upto': the bands after it "
                             "could never apply", hint="give this band an 'upto', or move it last")
                continue
            if last:
                self.add("invalid-bands", (*where, "bands"),
                         "the last band must have no 'upto', so that every number scores",
                         hint="add a final band {\"score\": …} for the values above the others")
            if previous is not None and _band_end(band) <= _band_end(previous):
                self.add("invalid-bands", (*where, "bands", i, "upto"),
                         f"bands must be in increasing order of 'upto': {band['upto']} "
                         f"does not come after {previous['upto']}",
                         hint="sort the bands by 'upto', lowest first")
            previous = band

    def levels(self) -> None:
        levels = self.data["scoring"]["levels"]
        self.unique([("scoring", "levels", i, "code") for i in range(len(levels))],
                    [level["code"] for level in levels], "level code",
                    "give each level its own code")
        previous: float | None = None
        for i, level in enumerate(levels):
            where = ("scoring", "levels", i)
            if level["code"] == NOT_ASSESSED:
                self.add("invalid-value", (*where, "code"),
                         f"'{NOT_ASSESSED}' is the level of dimensions not assessed",
                         hint="choose another code")
            last = i == len(levels) - 1
            below = level.get("below")
            if below is None:
                if not last:
                    self.add("invalid-levels", where,
                             "only the last level may have no 'below': the levels after it "
                             "could never apply",
                             hint="give this level a 'below', or move it last")
                continue
            if last:
                self.add("invalid-levels", ("scoring", "levels"),
                         "the last level must have no 'below', so that every score has a level",
                         hint="add a final level for the highest scores")
            if previous is not None and below <= previous:
                self.add("invalid-levels", (*where, "below"),
                         f"levels must be in increasing order of 'below': {below} does not "
                         f"come after {previous}", hint="sort the levels, lowest first")
            previous = below


def _band_end(band: Mapping[str, Any]) -> tuple[float, int]:
    # "< 3" ends before "<= 3", which ends before "< 3.1": an inclusive band reaches a little
    # further than an exclusive one with the same upto.
    return float(band["upto"]), 1 if band.get("inclusive", False) else 0


# --- building --------------------------------------------------------------------------------


def _text(data: Mapping[str, Any] | None) -> LocalText | None:
    return None if data is None else LocalText(fr=data["fr"], en=data.get("en", ""))


def _required_text(data: Mapping[str, Any]) -> LocalText:
    return LocalText(fr=data["fr"], en=data.get("en", ""))


def _question(data: Mapping[str, Any]) -> Question:
    return Question(
        id=data["id"],
        text=_required_text(data["text"]),
        kind=data.get("kind", "scale"),
        weight=data.get("weight", 1),
        themes=tuple(data.get("themes", ())),
        critical=data.get("critical", False),
        stage=data.get("stage"),
        respondent=data.get("respondent"),
        unit=_text(data.get("unit")),
        minimum=data.get("minimum"),
        maximum=data.get("maximum"),
        bands=tuple(Band(score=b["score"], upto=b.get("upto"), inclusive=b.get("inclusive", False))
                    for b in data.get("bands", ())),
        choices=tuple(Choice(value=c["value"], score=c["score"], label=_required_text(c["label"]))
                      for c in data.get("choices", ())),
        help=_text(data.get("help")),
    )


def _build(data: Mapping[str, Any]) -> Questionnaire:
    scoring = data["scoring"]
    needs = data.get("needs", {})
    return Questionnaire(
        id=data["id"],
        version=data["version"],
        title=_required_text(data["title"]),
        description=_text(data.get("description")),
        authors=tuple(data.get("authors", ())),
        licence=data.get("licence"),
        respondents=tuple(data.get("respondents", ())),
        scale=tuple(ScaleOption(value=o["value"], label=_required_text(o["label"]))
                    for o in data["scale"]),
        unknown_label=_required_text(data.get("unknown_label", _DEFAULT_UNKNOWN)),
        completeness=scoring.get("completeness", 0.6),
        levels=tuple(Level(code=lv["code"], label=_required_text(lv["label"]),
                           below=lv.get("below")) for lv in scoring["levels"]),
        min_intensity=needs.get("min_intensity", 3),
        top=needs.get("top", 5),
        stage=needs.get("stage", "conseil"),
        alert_stage=needs.get("alert_stage", "appui"),
        orient_to=tuple(data.get("alerts", {}).get("orient_to", ())),
        dimensions=tuple(
            Dimension(id=d["id"], title=_required_text(d["title"]), themes=tuple(d["themes"]),
                      stage=d.get("stage"),
                      questions=tuple(_question(q) for q in d["questions"]))
            for d in data["dimensions"]
        ),
    )
