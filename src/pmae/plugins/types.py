"""The types of what a plugin hands pmae: the functions its items hold, and the questionnaire.

A plugin annotates its functions with them and type-checks against pmae (``mypy --strict``,
as this repository's plugins do)::

    from pmae.plugins.types import FileExport, QuestionnaireData

    def write_ods(bundle: Bundle, stream: IO[bytes], context: ExportContext) -> None: ...

    export: FileExport = write_ods

.. versionadded:: 0.2
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NotRequired, TypeAlias, TypedDict

if TYPE_CHECKING:
    from pmae.diagnostics import Evaluation, Questionnaire
    from pmae.io.checks import CheckContext
    from pmae.issues import Issue
    from pmae.model import Bundle
    from pmae.plugins.context import ImportContext
    from pmae.plugins.items import ExportContext, ImportResult

__all__ = [
    "CheckFunction",
    "DimensionData",
    "DirectoryExport",
    "ExportFunction",
    "FileExport",
    "LocalTextData",
    "Locate",
    "QuestionData",
    "QuestionnaireData",
    "ReadFunction",
    "ScoreFunction",
]

#: ``export(bundle, stream, context)`` of an ``Exporter(target="file")``: writes bytes to a
#: binary stream (a temporary file pmae moves into place when the function returns).
FileExport: TypeAlias = "Callable[[Bundle, IO[bytes], ExportContext], None]"
#: ``export(bundle, folder, context)`` of an ``Exporter(target="directory")``: fills an empty
#: temporary folder that pmae moves into place when the function returns.
DirectoryExport: TypeAlias = "Callable[[Bundle, Path, ExportContext], None]"
#: What ``Exporter.export`` holds: one or the other, as its ``target`` says.
ExportFunction: TypeAlias = "FileExport | DirectoryExport"
#: ``read(path, options, context)`` of an ``Importer`` (or ``read(path, options)``, the form
#: written before the context existed): the document read and the importer's issues.
ReadFunction: TypeAlias = (
    "Callable[[Path, Mapping[str, Any], ImportContext], ImportResult]"
    " | Callable[[Path, Mapping[str, Any]], ImportResult]")
#: ``locate(json_path)`` of an ``ImportResult``: ``(file, line or row, column)`` in the source.
Locate: TypeAlias = "Callable[[str], tuple[str | None, int | None, str | None] | None]"
#: ``check(bundle, context)`` of a ``Check``: the issues found (a list or a generator).
CheckFunction: TypeAlias = "Callable[[Bundle, CheckContext], Iterable[Issue]]"
#: ``score(questionnaire, answers)`` of a ``DiagnosticTool``: called instead of
#: :func:`pmae.diagnostics.evaluate`, it returns an evaluation like it.
ScoreFunction: TypeAlias = "Callable[[Questionnaire, Mapping[str, object]], Evaluation]"


class LocalTextData(TypedDict):
    """A text in French, and optionally English: ``{"fr": "…", "en": "…"}``."""

    fr: str
    en: NotRequired[str]


class QuestionData(TypedDict):
    """One question of a questionnaire (``schemas/questionnaire.schema.json#/$defs/question``)."""

    id: str
    text: LocalTextData
    help: NotRequired[LocalTextData]
    kind: NotRequired[str]
    weight: NotRequired[float]
    themes: NotRequired[Sequence[str]]
    critical: NotRequired[bool]
    stage: NotRequired[str]
    respondent: NotRequired[str]
    unit: NotRequired[str]
    minimum: NotRequired[float]
    maximum: NotRequired[float]
    bands: NotRequired[Sequence[Mapping[str, Any]]]
    choices: NotRequired[Sequence[Mapping[str, Any]]]


class DimensionData(TypedDict):
    """One dimension of a questionnaire: its themes and its questions."""

    id: str
    title: LocalTextData
    themes: Sequence[str]
    stage: NotRequired[str]
    questions: Sequence[QuestionData]


class QuestionnaireData(TypedDict):
    """A questionnaire as ``DiagnosticTool.questionnaire`` holds it: the data of
    ``schemas/questionnaire.schema.json`` (docs/diagnostics.md), checked at registration by
    :func:`pmae.diagnostics.parse_questionnaire`. A questionnaire read from a JSON file
    (``json.load``) is typed ``Any`` and fits."""

    id: str
    version: str
    title: LocalTextData
    description: NotRequired[LocalTextData]
    authors: NotRequired[Sequence[str]]
    licence: NotRequired[str]
    respondents: NotRequired[Sequence[Mapping[str, Any]]]
    scale: Sequence[Mapping[str, Any]]
    unknown_label: NotRequired[LocalTextData]
    scoring: Mapping[str, Any]
    needs: NotRequired[Mapping[str, Any]]
    alerts: NotRequired[Mapping[str, Any]]
    dimensions: Sequence[DimensionData]
