"""Orientation from the diagnosis, as people read it: each open need of an association with the
offers proposed for it, and the offers left out because of their dates.

What is rendered is computed by :mod:`pmae.analysis.orientation` (:func:`~pmae.analysis.
orientation.orient_needs`, :func:`~pmae.analysis.orientation.excluded_by_date`). French by
default, as the rest of the orientation's output; ``lang="en"`` for English.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pmae.render.labels import format_date
from pmae.render.orientation import _Wording, suggestion_to_json

if TYPE_CHECKING:
    from pmae.analysis.orientation import NeedOrientation, Suggestion
    from pmae.model import Association, Need
    from pmae.sessions import Session

__all__ = ["excluded_to_json", "needs_to_json", "render_excluded", "render_needs"]

_TEXT: dict[str, dict[str, str]] = {
    "fr": {
        "title": "Orientation de {name} [{id}] au {date} : {count} besoin(s) en attente, du "
                 "plus urgent au moins urgent",
        "none": "{name} [{id}] n'a aucun besoin en attente (ouvert ou orienté) : orientation "
                "générale ci-dessous.",
        "need": "Besoin {id} · thème {theme}{stage} · priorité {priority} · {status}",
        "stage": " · étape souhaitée {}",
        "no_offer": "    Aucune offre en vigueur ne correspond sur ce territoire.",
        "expired": "elle a expiré le {date}",
        "not_yet": "elle ne commence que le {date}",
        "excluded": "{indent}Offre écartée à la date du {today} : {line} ({why} ; elle aurait "
                    "été proposée au rang {rank}{hint})",
        "hint": " ; --date pour une autre date",
    },
    "en": {
        "title": "Orientation of {name} [{id}] on {date}: {count} waiting need(s), most urgent "
                 "first",
        "none": "{name} [{id}] has no waiting need (open or oriented): general orientation "
                "below.",
        "need": "Need {id} · theme {theme}{stage} · priority {priority} · {status}",
        "stage": " · wished stage {}",
        "no_offer": "    No offer in force fits on this territory.",
        "expired": "it expired on {date}",
        "not_yet": "it starts only on {date}",
        "excluded": "{indent}Offer left out on {today}: {line} ({why}; it would have been "
                    "proposed at rank {rank}{hint})",
        "hint": "; --date for another date",
    },
}


def _why(suggestion: Suggestion, today: dt.date, lang: str) -> tuple[str, str]:
    """(``expiree`` or ``pas_commencee``, the sentence) for an offer not in force on
    ``today``."""
    offer, text = suggestion.offer, _TEXT[lang]
    if offer.valid_until is not None and offer.valid_until < today:
        return "expiree", text["expired"].format(date=format_date(offer.valid_until, lang))
    assert offer.valid_from is not None
    return "pas_commencee", text["not_yet"].format(date=format_date(offer.valid_from, lang))


def render_excluded(excluded: Sequence[Suggestion], today: dt.date, *, indent: str = "",
                    hint: bool = True, lang: str | None = None,
                    session: Session | None = None) -> str:
    """One line per offer that would have been proposed but is not in force on ``today``
    (expired, or not started yet); empty when there is none. ``hint``: say that ``--date``
    chooses another day (for the command line)."""
    wording = _Wording.of(session, lang, None, None)
    text = _TEXT[wording.lang]
    return "".join(
        text["excluded"].format(indent=indent, today=format_date(today, wording.lang),
                                line=wording.offer_line(s), why=_why(s, today, wording.lang)[1],
                                rank=s.rank, hint=text["hint"] if hint else "") + "\n"
        for s in excluded)


def excluded_to_json(excluded: Sequence[Suggestion], today: dt.date, *,
                     session: Session | None = None) -> list[dict[str, Any]]:
    """The offers left out by their dates as JSON-ready data: the suggestion they would have
    been, with ``valid_from``, ``valid_until`` and ``why`` (``expiree``/``pas_commencee``)."""
    wording = _Wording.of(session, None, None, None)
    return [{**suggestion_to_json(s, session=session),
             "valid_from": s.offer.valid_from.isoformat() if s.offer.valid_from else None,
             "valid_until": s.offer.valid_until.isoformat() if s.offer.valid_until else None,
             "why": _why(s, today, wording.lang)[0]}
            for s in excluded]


def need_heading(need: Need, wording: _Wording) -> str:
    """``Besoin <id> · thème … · étape souhaitée … · priorité 1 · ouvert``."""
    text = _TEXT[wording.lang]
    stage = text["stage"].format(wording.label("stages", need.stage)) if need.stage else ""
    return text["need"].format(id=need.id, theme=wording.label("themes", need.theme),
                               stage=stage, priority=need.priority,
                               status=wording.label("need_statuses", need.status))


def render_needs(association: Association, oriented: Sequence[NeedOrientation],
                 today: dt.date, *, lang: str | None = None,
                 session: Session | None = None) -> str:
    """Each waiting need of the association, most urgent first, with its id, the offers
    proposed (ranked, with their reasons) and those left out by their dates. Without any
    waiting need, one line saying so (the caller then shows the general orientation)."""
    wording = _Wording.of(session, lang, None, None)
    text = _TEXT[wording.lang]
    if not oriented:
        return text["none"].format(name=association.name, id=association.id) + "\n"
    lines = [text["title"].format(name=association.name, id=association.id,
                                  date=format_date(today, wording.lang), count=len(oriented))]
    for item in oriented:
        lines.append("")
        lines.append(need_heading(item.need, wording))
        for s in item.suggestions:
            lines.append(f"  {s.rank:>2}. {wording.offer_line(s)}")
            lines += [f"      - {wording.reason(r)}" for r in s.reasons]
        if not item.suggestions:
            lines.append(text["no_offer"])
        excluded = render_excluded(item.excluded, today, indent="    ", lang=wording.lang,
                                   session=session)
        if excluded:
            lines.append(excluded.rstrip("\n"))
    return "\n".join(lines) + "\n"


def needs_to_json(association: Association, oriented: Sequence[NeedOrientation],
                  today: dt.date, *, session: Session | None = None) -> dict[str, Any]:
    """The same as JSON-ready data: the association, the date, and each need with its
    suggestions and the offers left out by their dates."""
    return {
        "association": association.id, "date": today.isoformat(),
        "needs": [{"need": item.need.id, "theme": item.need.theme, "stage": item.need.stage,
                   "priority": item.need.priority, "status": item.need.status,
                   "suggestions": [suggestion_to_json(s, session=session)
                                   for s in item.suggestions],
                   "excluded": excluded_to_json(item.excluded, today, session=session)}
                  for item in oriented],
    }
