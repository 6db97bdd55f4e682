"""The questionnaire format of diagnostic tools: the values, and how a document becomes one.

A questionnaire is checked in two layers, both reported as :class:`~pmae.issues.Issue` values
with JSON paths into the document: ``schemas/questionnaire.schema.json`` (shape, types,
ranges), then the rules a schema cannot say (unique ids, known codes, bands and levels in
order, scores within the scale). Only a questionnaire that passes both is built, so the engine
never meets a malformed one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import attrs

from pmae.diagnostics.questionnaire_rules import NOT_ASSESSED, QuestionnaireRules
from pmae.io.schema_issues import document_issues
from pmae.io.schemas import validator
from pmae.issues import Issue
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
    issues = QuestionnaireRules(data, file, vocabularies or core_vocabularies()).run()
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
