"""One ``Issue`` value for every validation layer, and the catalogue of issue codes.

An issue says *where* (file, JSON path, line or row and column) and *what to do*. Codes are
stable kebab-case strings: tools may match on them. Rendering follows compilers::

    bundle.json:$.offers[3].themes[0]: error [unknown-code] unknown theme 'paie' — use one of …
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from pmae.i18n import gettext
from pmae.issues.catalogue import ISSUE_TYPES, SEVERITIES, IssueType
from pmae.issues.suggest import suggest
from pmae.jsonpath import sort_key

__all__ = [
    "ISSUE_TYPES",
    "SEVERITIES",
    "Issue",
    "IssueGroup",
    "IssueType",
    "group_issues",
    "has_errors",
    "sort_issues",
    "suggest",
]


@attrs.define(kw_only=True, frozen=True)
class Issue:
    """A problem found in data: where, how bad, what, and how to fix it."""

    code: str
    severity: str = "error"
    path: str = "$"
    message: str
    hint: str | None = None
    file: str | None = None
    line: int | None = None
    column: str | None = None

    def location(self) -> str:
        """``file:line:$.path`` — the parts that are known."""
        parts = [p for p in (self.file, None if self.line is None else str(self.line)) if p]
        where = self.path
        if self.column:
            where = f"{where} (column {self.column})"
        return ":".join([*parts, where])

    def render(self) -> str:
        """Compiler-style one-liner, with the fix hint after a dash."""
        text = f"{self.location()}: {self.severity} [{self.code}] {self.message}"
        hint = self.hint if self.hint is not None else _default_hint(self.code)
        return f"{text} — {hint}" if hint else text

    def to_dict(self) -> dict[str, str | int | None]:
        """The issue as JSON-ready data (``pmae validate --format json``)."""
        return {
            "code": self.code,
            "severity": self.severity,
            "path": self.path,
            "message": self.message,
            "hint": self.hint if self.hint is not None else _default_hint(self.code),
            "file": self.file,
            "line": self.line,
            "column": self.column,
        }


def _default_hint(code: str) -> str | None:
    # The catalogue's hints are English msgids: said in the language of the messages.
    issue_type = ISSUE_TYPES.get(code)
    return gettext(issue_type.hint) if issue_type else None


@attrs.define(kw_only=True, frozen=True)
class IssueGroup:
    """Identical issues (same code, severity and message) and every place they occur."""

    code: str
    severity: str
    message: str
    places: tuple[str, ...]

    @property
    def count(self) -> int:
        """How many times the issue occurs."""
        return len(self.places)


def group_issues(issues: Iterable[Issue]) -> list[IssueGroup]:
    """Group identical issues, largest group first, then by code and message."""
    groups: dict[tuple[str, str, str], list[str]] = {}
    for issue in issues:
        groups.setdefault((issue.code, issue.severity, issue.message), []).append(issue.location())
    result = [
        IssueGroup(code=code, severity=severity, message=message, places=tuple(places))
        for (code, severity, message), places in groups.items()
    ]
    result.sort(key=lambda g: (-g.count, SEVERITIES.index(g.severity), g.code, g.message))
    return result


def has_errors(issues: Iterable[Issue]) -> bool:
    """True when at least one issue is an error."""
    return any(issue.severity == "error" for issue in issues)


def sort_issues(issues: Iterable[Issue]) -> list[Issue]:
    """Issues in a stable order: by file, line, then path as written, then code."""
    return sorted(
        issues,
        key=lambda i: (i.file or "", i.line or 0, sort_key(i.path), i.code, i.message),
    )
