"""Diagnostic tools: the questionnaire format, the scoring engine, and answers files.

A tool is declarative data (``schemas/questionnaire.schema.json``, docs/diagnostics.md):
:func:`parse_questionnaire` checks and builds it, :func:`evaluate` scores answers into levels,
alerts and needs, :func:`to_records` turns that into ``Diagnosis`` and ``Need`` records.
This package is pure (no file I/O but :func:`read_answers`) and sits beside ``pmae.io``: it
imports nothing from the plugins, the analyses or the command line.
"""

from __future__ import annotations

from pmae.diagnostics.answers import read_answers
from pmae.diagnostics.engine import DerivedNeed, Evaluation, evaluate, to_records
from pmae.diagnostics.questionnaire import (
    NOT_ASSESSED,
    Band,
    Choice,
    Dimension,
    Level,
    LocalText,
    Question,
    Questionnaire,
    QuestionnaireError,
    ScaleOption,
    load_questionnaire,
    parse_questionnaire,
)

__all__ = [
    "NOT_ASSESSED",
    "Band",
    "Choice",
    "DerivedNeed",
    "Dimension",
    "Evaluation",
    "Level",
    "LocalText",
    "Question",
    "Questionnaire",
    "QuestionnaireError",
    "ScaleOption",
    "evaluate",
    "load_questionnaire",
    "parse_questionnaire",
    "read_answers",
    "to_records",
]
