"""Checks of collective responses (format 1.1): their dates, and statuses that only move forward.

A response goes ``envisagee`` → ``decidee`` → ``en_cours`` → ``realisee``, or to ``abandonnee``
from any of these. Within one record, the dates it carries must follow that order. Between two
versions of the same record (the one a store holds and the one published over it, or a bundle
before and after an update), the status may stay, move forward or be abandoned; moving back
(``realisee`` → ``en_cours``) or coming back from ``abandonnee`` is an error: a response that is
taken up again after being given up is a new response, with its own id and history.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

from pmae.issues import Issue
from pmae.jsonpath import json_path
from pmae.model import Response

#: The statuses a response moves through, in order; ``abandonnee`` can follow any of them.
STATUS_ORDER: Final = ("envisagee", "decidee", "en_cours", "realisee")
ABANDONED: Final = "abandonnee"

#: (field, the fields it may not come before), in the order of a response's life.
_DATE_ORDER: Final = (("started_on", ("decided_on",)), ("ended_on", ("started_on", "decided_on")))


def response_issues(response: Response) -> list[Issue]:
    """The date issues of one response; each issue's path is the field's name only."""
    issues = []
    for field, earlier in _DATE_ORDER:
        value = getattr(response, field)
        if value is None:
            continue
        for other in earlier:
            before = getattr(response, other)
            if before is not None and value < before:
                issues.append(Issue(code="dates-out-of-order", path=field,
                                    message=f"{field} {value} is before {other} {before}"))
                break
    return issues


def moves_back(before: str, after: str) -> bool:
    """Whether a response going from status ``before`` to ``after`` moves backwards.

    Unknown codes (reported by the vocabulary checks) never count as moving back.
    """
    if before == after or after == ABANDONED:
        return False
    if before == ABANDONED:
        return after in STATUS_ORDER
    if before in STATUS_ORDER and after in STATUS_ORDER:
        return STATUS_ORDER.index(after) < STATUS_ORDER.index(before)
    return False


def status_regressions(
    previous: Mapping[str, str], current: Iterable[Response], *, file: str | None = None,
) -> list[Issue]:
    """An error for each response of ``current`` whose status moves back from ``previous``.

    :param previous: the status of the earlier version of each response, by id (responses
        absent from it are new and may start at any status).
    :param current: the responses as they are now, in their collection's order (the issues'
        paths are ``$.responses[i].status``).
    """
    issues = []
    for index, response in enumerate(current):
        earlier = previous.get(response.id)
        if earlier is None or not moves_back(earlier, response.status):
            continue
        issues.append(Issue(
            code="status-backwards", path=json_path(("responses", index, "status")), file=file,
            message=f"response '{response.id}' goes from '{earlier}' back to "
                    f"'{response.status}'",
        ))
    return issues


__all__ = ["ABANDONED", "STATUS_ORDER", "moves_back", "response_issues", "status_regressions"]
